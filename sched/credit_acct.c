/* credit's accounting (see sched/credit.c for the design and locking): debits of run
 * time, the pass every CREDIT_PERIOD that hands out credit by weight to active vCPUs,
 * and the caps' budgets. */
#include "credit.h"

/* Parks or unparks cd; v (the vCPU that crossed the cap, or the domain's first at
 * accounting) names the domain in the trace, which sees only the changes. */
static void credit_park(struct credit_dom *cd, bool parked, const struct vcpu *v)
{
    if (__atomic_exchange_n(&cd->parked, parked, __ATOMIC_RELAXED) != parked && v)
        CR_TRACE(TRC_CREDIT_PARK, v, parked, (uint64_t)CREDIT_LOAD(cd->cap_used));
}

/* Debits sv's run time since the last debit. Running at a tick boundary (as Xen's
 * tick samples the running vCPU) drops BOOST and makes sv active; so does running
 * into debt, which a vCPU that runs only between ticks would otherwise never repay. */
void credit_burn(struct credit_vcpu *sv, s_time_t now)
{
    s_time_t ran = now - sv->burnt_to;
    struct credit_dom *cd = sv->dom;
    unsigned cap = CREDIT_LOAD(cd->cap);

    if (ran > 0) {
        bool ticked = sv->burnt_to / CREDIT_TICK != now / CREDIT_TICK;
        __atomic_add_fetch(&sv->ran, ran, __ATOMIC_RELAXED);
        if (__atomic_sub_fetch(&sv->credit, ran, __ATOMIC_RELAXED) < 0 || ticked)
            CREDIT_STORE(sv->active, true);
        if (cap && __atomic_add_fetch(&cd->cap_used, ran, __ATOMIC_RELAXED) >=
                   credit_cap_burst(cap))
            credit_park(cd, true, sv->v);
        if (ticked)
            sv->boost = false;
        CREDIT_STORE(sv->burnt_to, now);
    }
    sv->pri = credit_pri_of(sv);
}

/* Run time sv has had on a pCPU but not yet been debited: accounting reads it without
 * that pCPU's lock, so that a vCPU running across the pass is judged by the credit it
 * really has (a stale credit made it look full, dropped its share and made it inactive). */
static s_time_t credit_unbilled(const struct credit_vcpu *sv, s_time_t now)
{
    return CREDIT_LOAD(sv->on_cpu) ? MAX(now - CREDIT_LOAD(sv->burnt_to), 0) : 0;
}

/* Adds to sv's credit within the bounds; at the top sv is not using its share: it
 * goes inactive, keeping CREDIT_MAX (Xen keeps half, see the Limitations). */
static void credit_give(struct credit_vcpu *sv, s_time_t add, s_time_t unbilled)
{
    s_time_t old = CREDIT_LOAD(sv->credit), new;
    bool full;
    do {
        new = old + add;
        full = new - unbilled >= CREDIT_MAX;
        new = full ? CREDIT_MAX + unbilled : MAX(new, -CREDIT_MAX);
    } while (!__atomic_compare_exchange_n(&sv->credit, &old, new, false,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    if (full)
        CREDIT_STORE(sv->active, false);
}

/* The most credit sv can use from this pass: up to CREDIT_MAX if it runs or waits to;
 * if it is blocked, as much as it ran in the period just past, no more (less its
 * credit). A sleeper so keeps enough to wake UNDER (and BOOST) next period, but a
 * vCPU cannot bank what it does not use: paid up to the top while it slept, a vCPU
 * that ran briefly at creation woke with a full CREDIT_MAX, ahead of its siblings
 * started later, and a light domain got more than its weight for seconds. Takes the
 * period's run time (sv->ran). */
static s_time_t credit_room(struct credit_vcpu *sv, bool runnable)
{
    s_time_t credit = CREDIT_LOAD(sv->credit) - sv->acct_unbilled;
    s_time_t used = __atomic_exchange_n(&sv->ran, 0, __ATOMIC_RELAXED);
    return runnable ? MAX(CREDIT_MAX - credit, 0) : MAX(MIN(used, CREDIT_MAX) - credit, 0);
}

/* Counts cd's active vCPUs and the most credit they can use in `elapsed`. A blocked
 * vCPU with no room is not competing: it stops being active (it takes no share). This
 * walk notes what the split needs, so the split reads nothing else. */
static void credit_acct_prepare(struct credit_dom *cd, s_time_t elapsed, s_time_t now)
{
    s_time_t room = 0;
    unsigned cap = CREDIT_LOAD(cd->cap);

    cd->nactive = 0;
    for (unsigned i = 0; i < cd->nr_sv; i++) {
        struct credit_vcpu *sv = &cd->sv[i];
        bool runnable = !CREDIT_LOAD(sv->asleep);
        if (!sv->v)
            continue;
        sv->acct_unbilled = credit_unbilled(sv, now);
        sv->acct_room = credit_room(sv, runnable);
        sv->acct_blocked = !runnable;
        if (CREDIT_LOAD(sv->active) && !sv->acct_room && !runnable)
            CREDIT_STORE(sv->active, false);
        sv->acct_on = CREDIT_LOAD(sv->active);
        if (sv->acct_on) {
            cd->nactive++;
            room += sv->acct_room;
        }
    }
    cd->peak = MIN((s_time_t)cd->nactive * elapsed, room);
    if (cap)
        cd->peak = MIN(cd->peak, (s_time_t)cap * elapsed / 100);
    cd->filled = false;
    cd->share = 0;
}

/* Splits cd->share evenly among its active vCPUs, a blocked one getting no more than
 * its room; what it leaves goes to the next runnable one, and what is left at the end
 * to the first. Inactive vCPUs are not touched. */
static void credit_acct_split(struct credit_dom *cd)
{
    s_time_t each = cd->nactive ? cd->share / cd->nactive : 0, spare = 0;
    struct credit_vcpu *first = NULL;

    for (unsigned i = 0; i < cd->nr_sv; i++) {
        struct credit_vcpu *sv = &cd->sv[i];
        s_time_t add = each;
        if (!sv->v || !sv->acct_on)
            continue;
        if (sv->acct_blocked && sv->acct_room < each) {
            add = sv->acct_room;
            spare += each - add;
        } else {
            add += spare;
            spare = 0;
            first = first ? first : sv;
        }
        credit_give(sv, add, sv->acct_unbilled);
        CR_TRACE(TRC_CREDIT_ACCT, sv->v, (uint64_t)CREDIT_LOAD(sv->credit), credit_pri_of(sv));
    }
    if (first && spare)
        credit_give(first, spare, first->acct_unbilled);
}

/* A capped domain's new budget pays for what it ran: an overrun carries over, and so
 * does a period's worth of unused budget, so that a domain below its cap on average
 * may burst above it for a period without being parked. */
static void credit_acct_cap(struct credit_dom *cd, s_time_t elapsed)
{
    unsigned cap = CREDIT_LOAD(cd->cap);
    s_time_t budget = (s_time_t)cap * elapsed / 100, old = CREDIT_LOAD(cd->cap_used), new;

    do
        new = MAX(old - budget, -credit_cap_burst(cap));
    while (!__atomic_compare_exchange_n(&cd->cap_used, &old, new, false,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    credit_park(cd, cap && new >= credit_cap_burst(cap), list_empty(&cd->vcpus) ? NULL :
                list_first_entry(&cd->vcpus, struct credit_vcpu, dlink)->v);
}

/* The accounting pass; prv->lock held. */
static void credit_acct(struct credit_priv *prv, s_time_t now)
{
    s_time_t elapsed = MIN(now - prv->last_acct, 2 * CREDIT_PERIOD), left;
    cpumask_t cpus = credit_cpus(prv);
    uint64_t wsum = 0;
    struct list_head *p;
    bool changed = true;

    CREDIT_STORE(prv->next_acct, (now / CREDIT_PERIOD + 1) * CREDIT_PERIOD);
    if (!prv->started || elapsed <= 0) {
        prv->started = true;
        prv->last_acct = now;
        return;
    }
    prv->last_acct = now;
    left = elapsed * cpumask_weight(&cpus);
    list_for_each(p, &prv->doms) {
        struct credit_dom *cd = list_entry(p, struct credit_dom, link);
        credit_acct_prepare(cd, elapsed, now);
        wsum += (uint64_t)cd->weight * cd->nactive;
    }
    /* Water-filling: a domain whose fair share exceeds what it can use gets that;
     * the rest is shared again among the others. */
    while (changed && wsum) {
        changed = false;
        list_for_each(p, &prv->doms) {
            struct credit_dom *cd = list_entry(p, struct credit_dom, link);
            uint64_t w = (uint64_t)cd->weight * cd->nactive;
            if (!w || cd->filled || (s_time_t)((uint64_t)left * w / wsum) < cd->peak)
                continue;
            cd->share = cd->peak;
            cd->filled = changed = true;
            left -= cd->peak;
            wsum -= w;
        }
    }
    list_for_each(p, &prv->doms) {
        struct credit_dom *cd = list_entry(p, struct credit_dom, link);
        if (cd->nactive && !cd->filled && wsum)
            cd->share = (s_time_t)((uint64_t)left * cd->weight * cd->nactive / wsum);
        credit_acct_split(cd);
        credit_acct_cap(cd, elapsed);
    }
    for (unsigned i = 0; i < CPUMASK_WORDS; i++)   /* before gen: no thief misses one */
        __atomic_store_n(&prv->stale.bits[i], cpus.bits[i], __ATOMIC_RELAXED);
    __atomic_add_fetch(&prv->gen, 1, __ATOMIC_RELEASE);
}

void credit_acct_maybe(struct credit_priv *prv, s_time_t now)
{
    if (now < CREDIT_LOAD(prv->next_acct))
        return;
    spin_lock(&prv->lock);
    if (now >= prv->next_acct)
        credit_acct(prv, now);
    spin_unlock(&prv->lock);
}

