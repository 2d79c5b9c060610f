/*
 * loader_lock.h: one lock around libnvd's dlopen, dlclose and fork calls.
 * A child forked while another thread is inside the dynamic loader starts
 * with the loader's own lock held by a thread that does not exist in it,
 * and its first dlopen never returns. The plugin forks the CUDA query from
 * one thread while another may be loading NVML, so both take this lock.
 */
#ifndef NVD_LOADER_LOCK_H
#define NVD_LOADER_LOCK_H

void nvd_loader_lock(void);
void nvd_loader_unlock(void);

#endif /* NVD_LOADER_LOCK_H */
