/* One error convention (STYLE 10): functions return 0 or a negative errno. Values
 * follow Linux/Xen so that guests and tools see familiar numbers. */
#ifndef HVLAB_ERRNO_H
#define HVLAB_ERRNO_H

#define EPERM    1
#define ENOENT   2
#define ESRCH    3
#define EINTR    4
#define EIO      5
#define E2BIG    7
#define EBADF    9
#define EAGAIN  11
#define ENOMEM  12
#define EACCES  13
#define EFAULT  14
#define EBUSY   16
#define EEXIST  17
#define ENODEV  19
#define EINVAL  22
#define ENOSPC  28
#define ERANGE  34
#define ENOSYS  38
#define ENOTEMPTY 39
#define EOVERFLOW 75
#define ENOBUFS    105  /* vnuma: the caller's arrays are too small */
#define EOPNOTSUPP 95   /* pdisk: the device does not support the request */
#define ETIMEDOUT 110                   /* a wait ran out of time (store, bus, blkdev_wait) */

#define MAX_ERRNO 4095
#define ERR_PTR(e)      ((void *)(intptr_t)(e))
#define PTR_ERR(p)      ((long)(intptr_t)(p))
#define IS_ERR(p)       ((uintptr_t)(p) >= (uintptr_t)-MAX_ERRNO)

#endif
