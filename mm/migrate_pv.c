#include <hvlab/errno.h>
#include <hvlab/mm_migrate.h>
int migrate_pv(struct migrate_run *run)
{
    (void)run;
    return -ENOSYS;
}
