/* The smallest guest: proves the build, the entry and the console. */
#include <guest.h>

int main(const struct start_info *si)
{
    printf("hello from domain %u\n", si->domid);
    return 0;
}
