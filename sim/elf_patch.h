/*
 * elf_patch.h: the edits nvd-sim makes to a built template when it copies
 * it into a driver root. It replaces the placeholder soname of a stub
 * library, locates the profile section of a driver double and removes an
 * entry point from a double, in a little-endian ELF32 or ELF64 file in
 * memory.
 */
#ifndef NVD_SIM_ELF_PATCH_H
#define NVD_SIM_ELF_PATCH_H

#include <stddef.h>

#include "nvd.h"

/*
 * The start of the soname that every stub template is linked with.
 * sim/meson.build pads it with zeros to 100 characters so that any real
 * soname fits in its place.
 */
#define SIM_STUB_SONAME_PREFIX "libnvd-sim-stub.so."

/*
 * Replace the DT_SONAME string of the file in data (named `name` in
 * messages) with soname, NUL-padding the rest of the old string in
 * .dynstr. The old soname must start with SIM_STUB_SONAME_PREFIX and be at
 * least as long as the new one. Fails with NVD_ERR_INVALID.
 */
int sim_elf_set_soname(unsigned char *data, size_t size, const char *name, const char *soname,
                       nvd_error **err);

/*
 * Find the section called section_name and store its file offset and size.
 * Fails with NVD_ERR_INVALID if the file is not ELF or has no such section.
 */
int sim_elf_find_section(const unsigned char *data, size_t size, const char *name,
                         const char *section_name, size_t *offset, size_t *section_size,
                         nvd_error **err);

/*
 * Remove the defined dynamic symbol `symbol` from the file in data, as a
 * driver without that entry point would be: its name in .dynstr gets the
 * first letter 'X', so dlsym no longer finds it. The library must bind its
 * own references locally (-Bsymbolic), since the loader no longer finds the
 * old name either. Fails with NVD_ERR_INVALID if the file does not export
 * the symbol or another symbol shares its name string.
 */
int sim_elf_hide_symbol(unsigned char *data, size_t size, const char *name, const char *symbol,
                        nvd_error **err);

#endif /* NVD_SIM_ELF_PATCH_H */
