/*
 * elf_file.c: reads a shared object's dynamic section and ABI note through
 * libelf. libelf checks entry indexes against the data it returns. This file
 * also checks every section against the file size, so a truncated file fails
 * here with its name instead of being read past its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "elf_file.h"
#include "util.h"

/* The GNU ABI note: name "GNU", type NT_GNU_ABI_TAG, four 32-bit words. */
#define ABI_NOTE_SECTION ".note.ABI-tag"
#define ABI_NOTE_HEADER_SIZE 12
#define ABI_NOTE_NAME "GNU"
#define ABI_NOTE_NAME_SIZE 4
#define ABI_NOTE_DESC_SIZE 16

/* Upper bound on dynamic entries read from one file (real ones have under 100). */
#define MAX_DYNAMIC_ENTRIES 65536
#define MAX_NEEDED 1024

static void elf_end_ptr(Elf **e) { if (*e) elf_end(*e); }
#define cleanup_elf __attribute__((cleanup(elf_end_ptr)))

/* Read a 32-bit word in the file's byte order from p. */
static uint32_t note_word(Elf *e, const unsigned char *p)
{
    const unsigned char *ident = (const unsigned char *)elf_getident(e, NULL);
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    bool file_little = ident && ident[EI_DATA] == ELFDATA2LSB;
    bool host_little = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
    return file_little == host_little ? v : __builtin_bswap32(v);
}

/*
 * Check that the section header table and every section with contents lie
 * inside the file's size bytes. libelf reads section headers lazily and
 * can hand out an empty table for a truncated file, so this is checked
 * here first.
 */
static int check_sections(Elf *e, const char *path, uint64_t size, nvd_error **err)
{
    Elf_Scn *scn = NULL;
    GElf_Ehdr ehdr;
    size_t count;

    if (!gelf_getehdr(e, &ehdr) || elf_getshdrnum(e, &count) != 0)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: unreadable ELF header: %s: the file is truncated or corrupt",
                             path, elf_errmsg(-1));
    /* NOTE: a library stripped of its section headers (sstrip) is rejected here too. */
    if (count == 0)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: no section headers: the file is truncated or corrupt",
                             path);
    if (ehdr.e_shoff > size || ehdr.e_shentsize == 0 ||
        count > (size - ehdr.e_shoff) / ehdr.e_shentsize)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "%s: %zu section headers at offset %llu do not fit in the %llu-byte file: the file is truncated or corrupt, reinstall the driver",
                             path, count, (unsigned long long)ehdr.e_shoff, (unsigned long long)size);

    while ((scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr shdr;

        if (!gelf_getshdr(scn, &shdr))
            return nvd_error_set(err, NVD_ERR_DRIVER, "%s: unreadable section header %zu: %s",
                                 path, elf_ndxscn(scn), elf_errmsg(-1));
        if (shdr.sh_type == SHT_NOBITS || shdr.sh_type == SHT_NULL)
            continue;
        if (shdr.sh_offset > size || shdr.sh_size > size - shdr.sh_offset)
            return nvd_error_set(err, NVD_ERR_DRIVER,
                                 "%s: section %zu (offset %llu, %llu bytes) lies outside the %llu-byte file: the file is truncated or corrupt, reinstall the driver",
                                 path, elf_ndxscn(scn), (unsigned long long)shdr.sh_offset,
                                 (unsigned long long)shdr.sh_size, (unsigned long long)size);
    }
    return 0;
}

/* Store name, a string of the dynamic section's string table, into info. */
static int add_dynamic_string(struct nvd_elf_info *info, const char *path, Elf64_Sxword tag,
                              const char *name, nvd_error **err)
{
    if (!name)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: a dynamic entry points outside the string table",
                             path);
    if (strlen(name) >= NVD_ELF_NAME_MAX || strchr(name, '/'))
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: invalid library name '%.64s' in the dynamic section",
                             path, name);
    if (tag == DT_SONAME) {
        strcpy(info->soname, name);
    } else if (info->needed_count < MAX_NEEDED) {
        info->needed = nvd_xrealloc(info->needed, (info->needed_count + 1) * sizeof(*info->needed));
        info->needed[info->needed_count++] = nvd_xstrdup(name);
    }
    return 0;
}

/* Read DT_SONAME and DT_NEEDED of the dynamic section scn. */
static int read_dynamic(Elf *e, Elf_Scn *scn, const GElf_Shdr *shdr, const char *path,
                        struct nvd_elf_info *info, nvd_error **err)
{
    Elf_Data *data = elf_getdata(scn, NULL);

    if (!data)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: unreadable dynamic section: %s", path,
                             elf_errmsg(-1));
    if (shdr->sh_entsize == 0)
        return 0;
    for (size_t i = 0; i < shdr->sh_size / shdr->sh_entsize && i < MAX_DYNAMIC_ENTRIES; i++) {
        GElf_Dyn dyn;

        if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
            break;
        if (dyn.d_tag != DT_SONAME && dyn.d_tag != DT_NEEDED)
            continue;
        if (add_dynamic_string(info, path, dyn.d_tag, elf_strptr(e, shdr->sh_link, dyn.d_un.d_val),
                               err) < 0)
            return -1;
    }
    return 0;
}

/* Read the GNU ABI note of section scn into info; leave has_abi_tag false if it is not one. */
static int read_abi_note(Elf *e, Elf_Scn *scn, const char *path, struct nvd_elf_info *info,
                         nvd_error **err)
{
    Elf_Data *data = elf_rawdata(scn, NULL);

    if (!data)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: unreadable %s section: %s", path,
                             ABI_NOTE_SECTION, elf_errmsg(-1));

    /* The descriptor starts after the 12-byte header and the 4-byte name "GNU". */
    const unsigned char *p = data->d_buf;
    size_t desc_offset = ABI_NOTE_HEADER_SIZE + ABI_NOTE_NAME_SIZE;
    if (!p || data->d_size < desc_offset + ABI_NOTE_DESC_SIZE)
        return 0;
    if (note_word(e, p) != ABI_NOTE_NAME_SIZE || note_word(e, p + 4) < ABI_NOTE_DESC_SIZE ||
        note_word(e, p + 8) != NT_GNU_ABI_TAG ||
        memcmp(p + ABI_NOTE_HEADER_SIZE, ABI_NOTE_NAME, ABI_NOTE_NAME_SIZE) != 0)
        return 0;

    info->has_abi_tag = true;
    info->abi_os = note_word(e, p + desc_offset);
    for (size_t i = 0; i < 3; i++)
        info->abi_version[i] = note_word(e, p + desc_offset + 4 * (i + 1));
    return 0;
}

int nvd_elf_read(const char *path, struct nvd_elf_info *info, nvd_error **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    cleanup_elf Elf *e = NULL;
    Elf_Scn *scn = NULL;
    size_t shstrndx;
    struct stat st;

    *info = (struct nvd_elf_info){ 0 };
    if (fd < 0)
        return nvd_error_sys(err, errno, "open %s", path);
    if (fstat(fd, &st) < 0)
        return nvd_error_sys(err, errno, "stat %s", path);
    if (elf_version(EV_CURRENT) == EV_NONE)
        return nvd_error_set(err, NVD_ERR_DRIVER, "initialise libelf: %s", elf_errmsg(-1));
    e = elf_begin(fd, ELF_C_READ, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: not an ELF file", path);
    if (check_sections(e, path, (uint64_t)st.st_size, err) < 0)
        return -1;
    if (elf_getshdrstrndx(e, &shstrndx) != 0)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: unreadable section headers: %s: the file is truncated or corrupt",
                             path, elf_errmsg(-1));

    while ((scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr shdr;

        if (!gelf_getshdr(scn, &shdr))
            continue;
        if (shdr.sh_type == SHT_DYNAMIC) {
            if (read_dynamic(e, scn, &shdr, path, info, err) < 0)
                return -1;
            continue;
        }
        const char *name = elf_strptr(e, shstrndx, shdr.sh_name);
        if (shdr.sh_type == SHT_NOTE && name && strcmp(name, ABI_NOTE_SECTION) == 0 &&
            read_abi_note(e, scn, path, info, err) < 0)
            return -1;
    }
    return 0;
}

void nvd_elf_info_clear(struct nvd_elf_info *info)
{
    for (size_t i = 0; i < info->needed_count; i++)
        free(info->needed[i]);
    free(info->needed);
    info->needed = NULL;
    info->needed_count = 0;
}
