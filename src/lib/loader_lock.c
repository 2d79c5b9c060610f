/* loader_lock.c: the lock that keeps libnvd's loads and forks apart. */
#include <pthread.h>

#include "loader_lock.h"

static pthread_mutex_t loader_mutex = PTHREAD_MUTEX_INITIALIZER;

void nvd_loader_lock(void)
{
    pthread_mutex_lock(&loader_mutex);
}

void nvd_loader_unlock(void)
{
    pthread_mutex_unlock(&loader_mutex);
}
