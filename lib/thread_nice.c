/* thread_nice.c: see thread_nice.h. */
#include "thread_nice.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int thread_nice(unsigned nice)
{
    if (!nice)
        return 0;
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), (int)nice);
}
