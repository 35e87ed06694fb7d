/* A policy registered without its place op, linked only into the host test of the
 * memory policies: the core must refuse to choose it (tests/unit/test_mm_policy.c). */
#include <hvlab/mm_policy.h>

static int broken_init(struct domain *d, const struct mm_policy_args *a, char *why,
                       size_t len)
{
    (void)d;
    (void)a;
    (void)why;
    (void)len;
    return 0;
}

static const struct mm_policy_ops broken_ops = {
    .name = "broken",
    .desc = "no place op: never chosen",
    .init = broken_init,
};
REGISTER_MM_POLICY(broken_ops);
