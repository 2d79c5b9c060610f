/* elf_file.c: reads a shared object's soname through libelf, bounds-checked. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include "elf_file.h"
#include "util.h"

static void elf_end_ptr(Elf **e) { if (*e) elf_end(*e); }
#define cleanup_elf __attribute__((cleanup(elf_end_ptr)))

/* Find the string at offset off of the dynamic string table of section scn. */
static const char *dynamic_string(Elf *e, Elf_Scn *scn, size_t off)
{
    GElf_Shdr shdr;

    if (!gelf_getshdr(scn, &shdr))
        return NULL;
    return elf_strptr(e, shdr.sh_link, off);
}

int nvd_elf_soname(const char *path, char *buf, size_t size, nvd_error **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    cleanup_elf Elf *e = NULL;
    Elf_Scn *scn = NULL;

    buf[0] = '\0';
    if (fd < 0)
        return nvd_error_sys(err, errno, "open %s", path);
    if (elf_version(EV_CURRENT) == EV_NONE)
        return nvd_error_set(err, NVD_ERR_DRIVER, "initialise libelf: %s", elf_errmsg(-1));
    e = elf_begin(fd, ELF_C_READ, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: not an ELF file", path);

    while ((scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr shdr;
        Elf_Data *data;

        if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC || shdr.sh_entsize == 0)
            continue;
        data = elf_getdata(scn, NULL);
        if (!data)
            return nvd_error_set(err, NVD_ERR_DRIVER, "%s: unreadable dynamic section: %s", path, elf_errmsg(-1));
        for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize && i < 65536; i++) {
            GElf_Dyn dyn;

            if (!gelf_getdyn(data, (int)i, &dyn))
                break;
            if (dyn.d_tag == DT_NULL)
                break;
            if (dyn.d_tag != DT_SONAME)
                continue;
            const char *name = dynamic_string(e, scn, dyn.d_un.d_val);
            if (!name)
                return nvd_error_set(err, NVD_ERR_DRIVER, "%s: DT_SONAME points outside the string table", path);
            if (strlen(name) >= size || strchr(name, '/'))
                return nvd_error_set(err, NVD_ERR_DRIVER, "%s: invalid soname '%.64s'", path, name);
            strcpy(buf, name);
            return 0;
        }
    }
    return 0;
}
