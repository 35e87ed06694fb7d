/* Domain lookups and reference counts: core/domain_ref.c on the host. Domains are
 * calloc'd here; domain_free (core/domain.c's, called by the last domain_put) is
 * this file's: it counts the call, poisons the struct and frees it, so a use after
 * the last put is an AddressSanitizer error. The race case runs lookups on several
 * threads while the main thread creates and destroys domains. */
#include "unit.h"

#include <pthread.h>
#include <sched.h>

#include <hvlab/domain.h>
#include <hvlab/errno.h>

static unsigned nr_freed, nr_freed_by_lookup;
static domid_t last_freed = DOMID_MAX;
static __thread bool in_lookup_thread;

void domain_free(struct domain *d)
{
    __atomic_fetch_add(&nr_freed, 1, __ATOMIC_RELAXED);
    if (in_lookup_thread)               /* its destroy came while the thread held it */
        __atomic_fetch_add(&nr_freed_by_lookup, 1, __ATOMIC_RELAXED);
    last_freed = d->domain_id;
    memset(d, 0x6b, sizeof(*d));
    free(d);
}

/* As domain_create leaves it: one reference, the list's. */
static struct domain *new_domain(domid_t id)
{
    struct domain *d = calloc(1, sizeof(*d));

    d->domain_id = id;
    d->refcnt = 1;
    d->state = DOMSTATE_active;
    snprintf(d->name, sizeof(d->name), "dom%u", id);
    spin_lock_init(&d->lock);
    CHECK_EQ(domain_list_add(d), 0);
    return d;
}

/* As domain_destroy does: dying and off the list, then the list's reference goes. */
static int destroy(struct domain *d)
{
    int rc = domain_unlist(d);

    if (rc == 0)
        domain_put(d);
    return rc;
}

static void test_get_and_put(void)
{
    unsigned freed = nr_freed;
    struct domain *d = new_domain(1);
    struct domain *g = domain_get(1);

    CHECK(g == d);
    CHECK_EQ(d->refcnt, 2);
    CHECK(domain_get(2) == NULL);
    domain_hold(g);
    CHECK_EQ(d->refcnt, 3);
    domain_put(g);
    domain_put(g);
    CHECK_EQ(d->refcnt, 1);
    CHECK_EQ(nr_freed, freed);
    CHECK_EQ(destroy(d), 0);
    CHECK_EQ(nr_freed, freed + 1);
}

static void test_duplicate_id(void)
{
    struct domain *a = new_domain(3);
    struct domain *b = calloc(1, sizeof(*b));

    b->domain_id = 3;
    b->refcnt = 1;
    CHECK_EQ(domain_list_add(b), -EEXIST);
    free(b);
    struct domain *g = domain_get(3);
    CHECK(g == a);                      /* the first one stays the one found */
    domain_put(g);
    CHECK_EQ(destroy(a), 0);
}

static void test_dying_not_found(void)
{
    struct domain *d = new_domain(4);
    struct domain *held = domain_get(4);

    CHECK_EQ(domain_unlist(d), 0);
    CHECK_EQ(d->state, DOMSTATE_dying);
    CHECK(domain_get(4) == NULL);
    CHECK(domain_get_next(4) == NULL);
    CHECK_EQ(domain_unlist(d), -ESRCH);     /* a second destroy fails */
    domain_put(d);                          /* the list's */
    domain_put(held);
}

static void test_held_across_destroy(void)
{
    unsigned freed = nr_freed;
    struct domain *d = new_domain(5);
    struct domain *held = domain_get(5);

    CHECK_EQ(destroy(d), 0);
    CHECK_EQ(nr_freed, freed);              /* the holder keeps it */
    CHECK_EQ(held->domain_id, 5);
    CHECK_STREQ(held->name, "dom5");
    CHECK_EQ(held->refcnt, 1);
    domain_put(held);                       /* the last: freed now */
    CHECK_EQ(nr_freed, freed + 1);
    CHECK_EQ(last_freed, 5);
}

static void test_get_next_order(void)
{
    struct domain *a = new_domain(12), *b = new_domain(10), *c = new_domain(11);
    domid_t seen[4];
    unsigned n = 0;
    struct domain *d;

    CHECK_EQ(domain_unlist(c), 0);          /* 11 is dying: skipped */
    for (domid_t id = 0; (d = domain_get_next(id)) != NULL && n < 4; domain_put(d)) {
        id = d->domain_id + 1;
        CHECK_EQ(d->refcnt, 2);
        seen[n++] = d->domain_id;
    }
    CHECK_EQ(n, 2);
    CHECK_EQ(seen[0], 10);
    CHECK_EQ(seen[1], 12);
    domain_put(c);
    CHECK_EQ(destroy(a), 0);
    CHECK_EQ(destroy(b), 0);
}

static void put_too_many(void)
{
    static struct domain d = { .domain_id = 20, .refcnt = 0 };   /* all were put */

    domain_put(&d);                         /* no reference left: must panic */
}

static void test_put_underflow_panics(void)
{
    CHECK(unit_panics(put_too_many));
}

/* ---- lookups racing destruction ---- */

/* Round r destroys domain 100+r and creates 100+r+RACE_LIVE, so RACE_LIVE domains
 * live at any time and no id is reused (a stale lookup cannot find a newer domain).
 * The lookup threads ask for the ids around the live window. */
#define RACE_LIVE     8
#define RACE_ROUNDS   2000
#define RACE_THREADS  2
#define RACE_ID(i)    ((domid_t)(100 + (i)))

static struct domain *race_dom[RACE_ROUNDS + RACE_LIVE];
static bool gone[RACE_ROUNDS + RACE_LIVE];     /* set once its destroy returned */
static unsigned race_base;                      /* oldest live index */
static bool race_stop;
static unsigned race_found, race_late, race_lookups;

static void *race_lookup(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg, found = 0, late = 0;

    in_lookup_thread = true;

    while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE)) {
        unsigned base = __atomic_load_n(&race_base, __ATOMIC_ACQUIRE);
        seed = seed * 1103515245 + 12345;
        unsigned i = base + (seed >> 16) % (RACE_LIVE + 1);
        if (base > 0)
            i--;                            /* the one just destroyed is asked for too */
        if (i >= RACE_ROUNDS + RACE_LIVE)
            continue;
        bool was_gone = __atomic_load_n(&gone[i], __ATOMIC_ACQUIRE);
        struct domain *d = domain_get(RACE_ID(i));

        __atomic_fetch_add(&race_lookups, 1, __ATOMIC_RELEASE);
        if (!d) {
            sched_yield();
            continue;
        }
        /* Found: it must be the domain asked for, readable until the put. */
        if (d->domain_id != RACE_ID(i) || strncmp(d->name, "dom", 3) != 0)
            __atomic_fetch_add(&unit_failed_checks, 1, __ATOMIC_RELAXED);
        if (was_gone)
            late++;                         /* found after its destroy returned */
        found++;
        sched_yield();                      /* hold it a while: destroys run meanwhile */
        domain_put(d);
    }
    __atomic_fetch_add(&race_found, found, __ATOMIC_RELAXED);
    __atomic_fetch_add(&race_late, late, __ATOMIC_RELAXED);
    return NULL;
}

static void test_lookups_race_destroy(void)
{
    pthread_t t[RACE_THREADS];
    unsigned freed = nr_freed, created = 0, failed = 0;

    for (unsigned i = 0; i < RACE_LIVE; i++, created++)
        race_dom[i] = new_domain(RACE_ID(i));
    for (unsigned i = 0; i < RACE_THREADS; i++)
        pthread_create(&t[i], NULL, race_lookup, (void *)(uintptr_t)(i + 1));
    for (unsigned r = 0; r < RACE_ROUNDS; r++, created++) {
        /* Each round waits for a lookup since the last one, so the threads really
         * run against the destroys however busy the host is. */
        unsigned seen = __atomic_load_n(&race_lookups, __ATOMIC_ACQUIRE);
        while (__atomic_load_n(&race_lookups, __ATOMIC_ACQUIRE) == seen)
            sched_yield();
        failed += destroy(race_dom[r]) != 0;
        __atomic_store_n(&gone[r], true, __ATOMIC_RELEASE);
        race_dom[r + RACE_LIVE] = new_domain(RACE_ID(r + RACE_LIVE));
        __atomic_store_n(&race_base, r + 1, __ATOMIC_RELEASE);
    }
    for (unsigned i = RACE_ROUNDS; i < RACE_ROUNDS + RACE_LIVE; i++) {
        failed += destroy(race_dom[i]) != 0;
        __atomic_store_n(&gone[i], true, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&race_stop, true, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < RACE_THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(failed, 0);
    CHECK_EQ(race_late, 0);                 /* nothing found once it was gone */
    CHECK(race_found > 0);                  /* the lookups did run against it */
    CHECK_EQ(nr_freed - freed, created);    /* each freed once, by its last put */
    printf("  %u lookups found a domain while %u were created and destroyed; %u were "
           "freed by a lookup's put\n", race_found, created, nr_freed_by_lookup);
}

static const struct unit_case cases[] = {
    { "get takes a reference, put drops it", test_get_and_put },
    { "a second domain with the same id: -EEXIST", test_duplicate_id },
    { "a dying domain is not found; a second destroy fails", test_dying_not_found },
    { "a reference held across destroy keeps the struct", test_held_across_destroy },
    { "get_next: ascending ids, with references, skipping the dying", test_get_next_order },
    { "a put without a reference panics", test_put_underflow_panics },
    { "lookups on 2 threads racing destroys", test_lookups_race_destroy },
};

UNIT_MAIN(cases)
