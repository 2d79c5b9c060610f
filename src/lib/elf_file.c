/*
 * elf_file.c: reads a shared object's soname, needed libraries and GNU ABI
 * note. The file is mapped once and parsed by hand, ELF32 or ELF64 in
 * either byte order, so a read costs one mmap instead of a pread per
 * table. The file comes from outside: every offset, size, count and string
 * is checked against the mapped size before it is read, with sums and
 * products written so that they cannot overflow.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* Where a field lies in a header: its offset and width in bytes. */
struct field {
    unsigned char offset;
    unsigned char width;
};

#define FIELD(type, member) { offsetof(type, member), sizeof(((type *)0)->member) }

/* The fields this file reads, for one ELF class. */
struct layout {
    size_t ehdr_size;
    size_t shdr_size;
    size_t dyn_size;
    struct field e_shoff, e_shentsize, e_shnum, e_shstrndx;
    struct field sh_name, sh_type, sh_offset, sh_size, sh_link, sh_entsize;
    struct field d_tag, d_val;
};

#define LAYOUT(bits)                                                                        \
    {                                                                                       \
        sizeof(Elf##bits##_Ehdr), sizeof(Elf##bits##_Shdr), sizeof(Elf##bits##_Dyn),       \
        FIELD(Elf##bits##_Ehdr, e_shoff), FIELD(Elf##bits##_Ehdr, e_shentsize),             \
        FIELD(Elf##bits##_Ehdr, e_shnum), FIELD(Elf##bits##_Ehdr, e_shstrndx),              \
        FIELD(Elf##bits##_Shdr, sh_name), FIELD(Elf##bits##_Shdr, sh_type),                 \
        FIELD(Elf##bits##_Shdr, sh_offset), FIELD(Elf##bits##_Shdr, sh_size),               \
        FIELD(Elf##bits##_Shdr, sh_link), FIELD(Elf##bits##_Shdr, sh_entsize),              \
        FIELD(Elf##bits##_Dyn, d_tag), FIELD(Elf##bits##_Dyn, d_un.d_val),                  \
    }

static const struct layout layout32 = LAYOUT(32);
static const struct layout layout64 = LAYOUT(64);

/* A mapped ELF file: its bytes, class and byte order. */
struct elf_view {
    const char *path;
    const unsigned char *data;
    size_t size;
    const struct layout *layout;
    bool big_endian;
    uint64_t shoff;       /* the section header table */
    uint64_t shnum;
};

/* The section header fields this file uses. */
struct section {
    uint32_t name;
    uint32_t type;
    uint32_t link;
    uint64_t offset;
    uint64_t size;
    uint64_t entsize;
};

/* Read an unsigned integer of width bytes at data + offset, in the file's byte order. */
static uint64_t read_uint(const struct elf_view *v, uint64_t offset, size_t width)
{
    const unsigned char *p = v->data + offset;
    uint64_t value = 0;

    for (size_t i = 0; i < width; i++) {
        size_t byte = v->big_endian ? i : width - 1 - i;
        value = (value << 8) | p[byte];
    }
    return value;
}

/* Read field f of the header that starts at base. The caller checked that the header fits. */
static uint64_t read_field(const struct elf_view *v, uint64_t base, struct field f)
{
    return read_uint(v, base + f.offset, f.width);
}

/* Whether size bytes at offset lie inside the file. */
static bool in_file(const struct elf_view *v, uint64_t offset, uint64_t size)
{
    return offset <= v->size && size <= v->size - offset;
}

/* Read section header index. The caller checked that the table lies inside the file. */
static struct section read_section(const struct elf_view *v, uint64_t index)
{
    const struct layout *l = v->layout;
    uint64_t base = v->shoff + index * l->shdr_size;

    return (struct section){
        .name = (uint32_t)read_field(v, base, l->sh_name),
        .type = (uint32_t)read_field(v, base, l->sh_type),
        .link = (uint32_t)read_field(v, base, l->sh_link),
        .offset = read_field(v, base, l->sh_offset),
        .size = read_field(v, base, l->sh_size),
        .entsize = read_field(v, base, l->sh_entsize),
    };
}

/*
 * Return the NUL-terminated string at index of string table section
 * strndx, or NULL when the section is not a string table inside the file
 * or the string does not end inside it.
 */
static const char *string_at(const struct elf_view *v, uint64_t strndx, uint64_t index)
{
    if (strndx == SHN_UNDEF || strndx >= v->shnum)
        return NULL;
    struct section s = read_section(v, strndx);
    if (s.type != SHT_STRTAB || !in_file(v, s.offset, s.size) || index >= s.size)
        return NULL;
    const char *start = (const char *)v->data + s.offset + index;
    if (!memchr(start, '\0', s.size - index))
        return NULL;
    return start;
}

/*
 * Check the ELF identification and header, and find the section header
 * table: e_shnum, or with more than SHN_LORESERVE - 1 sections, the sh_size
 * of section 0 (extended numbering). A library stripped of its section
 * headers (sstrip) is rejected here too.
 */
static int read_header(struct elf_view *v, uint64_t *shstrndx, nvd_error **err)
{
    const unsigned char *ident = v->data;

    if (v->size < EI_NIDENT || memcmp(ident, ELFMAG, SELFMAG) != 0)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: not an ELF file", v->path);
    if ((ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) ||
        (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB))
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "%s: unreadable ELF header: class %u, data encoding %u: the file is corrupt",
                             v->path, ident[EI_CLASS], ident[EI_DATA]);
    v->layout = ident[EI_CLASS] == ELFCLASS64 ? &layout64 : &layout32;
    v->big_endian = ident[EI_DATA] == ELFDATA2MSB;
    const struct layout *l = v->layout;
    if (v->size < l->ehdr_size)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "%s: unreadable ELF header: the %zu-byte file is shorter than it: the file is truncated or corrupt",
                             v->path, v->size);

    uint64_t shentsize = read_field(v, 0, l->e_shentsize);
    v->shoff = read_field(v, 0, l->e_shoff);
    v->shnum = read_field(v, 0, l->e_shnum);
    *shstrndx = read_field(v, 0, l->e_shstrndx);
    if (v->shoff == 0)
        v->shnum = 0;
    if (v->shoff != 0 && (v->shnum == 0 || *shstrndx == SHN_XINDEX)) {
        /* Extended numbering: the real values are in section 0. */
        if (!in_file(v, v->shoff, l->shdr_size))
            return nvd_error_set(err, NVD_ERR_DRIVER,
                                 "%s: section header 0 at offset %llu does not fit in the %zu-byte file: the file is truncated or corrupt, reinstall the driver",
                                 v->path, (unsigned long long)v->shoff, v->size);
        v->shnum = v->shnum ? v->shnum : read_field(v, v->shoff, l->sh_size);
        if (*shstrndx == SHN_XINDEX)
            *shstrndx = read_field(v, v->shoff, l->sh_link);
    }
    if (v->shnum == 0)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: no section headers: the file is truncated or corrupt",
                             v->path);
    if (v->shoff > v->size || shentsize == 0 || v->shnum > (v->size - v->shoff) / shentsize)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "%s: %llu section headers at offset %llu do not fit in the %zu-byte file: the file is truncated or corrupt, reinstall the driver",
                             v->path, (unsigned long long)v->shnum, (unsigned long long)v->shoff, v->size);
    if (shentsize != l->shdr_size)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "%s: unreadable section headers: entries of %llu bytes, not %zu: the file is corrupt",
                             v->path, (unsigned long long)shentsize, l->shdr_size);
    return 0;
}

/* Check that every section with contents lies inside the file. */
static int check_sections(const struct elf_view *v, nvd_error **err)
{
    for (uint64_t i = 1; i < v->shnum; i++) {
        struct section s = read_section(v, i);

        if (s.type == SHT_NOBITS || s.type == SHT_NULL)
            continue;
        if (!in_file(v, s.offset, s.size))
            return nvd_error_set(err, NVD_ERR_DRIVER,
                                 "%s: section %llu (offset %llu, %llu bytes) lies outside the %zu-byte file: the file is truncated or corrupt, reinstall the driver",
                                 v->path, (unsigned long long)i, (unsigned long long)s.offset,
                                 (unsigned long long)s.size, v->size);
    }
    return 0;
}

/* Store name, a string of the dynamic section's string table, into info. */
static int add_dynamic_string(struct nvd_elf_info *info, const char *path, uint64_t tag,
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

/*
 * Read DT_SONAME and DT_NEEDED of dynamic section s, which lies inside the
 * file. Entries are as many as both sh_entsize and the class's entry size
 * allow, up to the first DT_NULL.
 */
static int read_dynamic(const struct elf_view *v, const struct section *s, struct nvd_elf_info *info,
                        nvd_error **err)
{
    const struct layout *l = v->layout;

    if (s->entsize == 0)
        return 0;
    uint64_t count = s->size / s->entsize;
    if (count > s->size / l->dyn_size)
        count = s->size / l->dyn_size;
    for (uint64_t i = 0; i < count && i < MAX_DYNAMIC_ENTRIES; i++) {
        uint64_t base = s->offset + i * l->dyn_size;
        uint64_t tag = read_field(v, base, l->d_tag);

        if (tag == DT_NULL)
            break;
        if (tag != DT_SONAME && tag != DT_NEEDED)
            continue;
        if (add_dynamic_string(info, v->path, tag, string_at(v, s->link, read_field(v, base, l->d_val)),
                               err) < 0)
            return -1;
    }
    return 0;
}

/* Read the GNU ABI note of section s, inside the file; leave has_abi_tag false if it is not one. */
static void read_abi_note(const struct elf_view *v, const struct section *s, struct nvd_elf_info *info)
{
    /* The descriptor starts after the 12-byte header and the 4-byte name "GNU". */
    uint64_t p = s->offset;
    uint64_t desc = p + ABI_NOTE_HEADER_SIZE + ABI_NOTE_NAME_SIZE;

    if (s->size < ABI_NOTE_HEADER_SIZE + ABI_NOTE_NAME_SIZE + ABI_NOTE_DESC_SIZE)
        return;
    if (read_uint(v, p, 4) != ABI_NOTE_NAME_SIZE || read_uint(v, p + 4, 4) < ABI_NOTE_DESC_SIZE ||
        read_uint(v, p + 8, 4) != NT_GNU_ABI_TAG ||
        memcmp(v->data + p + ABI_NOTE_HEADER_SIZE, ABI_NOTE_NAME, ABI_NOTE_NAME_SIZE) != 0)
        return;

    info->has_abi_tag = true;
    info->abi_os = (uint32_t)read_uint(v, desc, 4);
    for (size_t i = 0; i < 3; i++)
        info->abi_version[i] = (uint32_t)read_uint(v, desc + 4 * (i + 1), 4);
}

int nvd_elf_parse(const char *path, const void *data, size_t size, struct nvd_elf_info *info,
                  nvd_error **err)
{
    struct elf_view v = { .path = path, .data = data, .size = size };
    uint64_t shstrndx = SHN_UNDEF;

    *info = (struct nvd_elf_info){ 0 };
    if (read_header(&v, &shstrndx, err) < 0 || check_sections(&v, err) < 0)
        return -1;
    if (shstrndx >= v.shnum)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "%s: unreadable section headers: section name table %llu of %llu: the file is truncated or corrupt",
                             path, (unsigned long long)shstrndx, (unsigned long long)v.shnum);

    for (uint64_t i = 1; i < v.shnum; i++) {
        struct section s = read_section(&v, i);

        if (s.type == SHT_DYNAMIC) {
            if (read_dynamic(&v, &s, info, err) < 0)
                return -1;
            continue;
        }
        const char *name = s.type == SHT_NOTE ? string_at(&v, shstrndx, s.name) : NULL;
        if (name && strcmp(name, ABI_NOTE_SECTION) == 0)
            read_abi_note(&v, &s, info);
    }
    return 0;
}

/*
 * NOTE: the file is mapped, not copied, so a driver file that another
 * process truncates while this reads it raises SIGBUS. A driver install
 * replaces its files instead of truncating them.
 */
int nvd_elf_read(const char *path, struct nvd_elf_info *info, nvd_error **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;

    *info = (struct nvd_elf_info){ 0 };
    if (fd < 0)
        return nvd_error_sys(err, errno, "open %s", path);
    if (fstat(fd, &st) < 0)
        return nvd_error_sys(err, errno, "stat %s", path);
    if (!S_ISREG(st.st_mode) || st.st_size < EI_NIDENT)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: not an ELF file", path);
    if ((uint64_t)st.st_size > SIZE_MAX)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: the %lld-byte file is too large to map",
                             path, (long long)st.st_size);

    size_t size = (size_t)st.st_size;
    void *data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED)
        return nvd_error_sys(err, errno, "map %s", path);
    int ret = nvd_elf_parse(path, data, size, info, err);
    munmap(data, size);
    return ret;
}

void nvd_elf_info_clear(struct nvd_elf_info *info)
{
    for (size_t i = 0; i < info->needed_count; i++)
        free(info->needed[i]);
    free(info->needed);
    info->needed = NULL;
    info->needed_count = 0;
}
