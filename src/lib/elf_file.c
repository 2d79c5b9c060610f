/*
 * elf_file.c: reads a shared object's soname, needed libraries and GNU ABI
 * note, parsed by hand, ELF32 or ELF64 in either byte order. A small file
 * is read whole, a larger one in the few ranges that hold them. The file
 * comes from outside, so every offset, size, count and string is checked
 * against the file size before it is read, with sums and products that
 * cannot overflow.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
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

/* The position of a field in a header: its offset and width in bytes. */
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

/* Files up to this size are read whole, in one pread(). */
#define READ_WHOLE_MAX (64 * 1024)
/* Larger files are read in ranges: the first one covers the ELF header and usually the notes. */
#define HEAD_SIZE 4096
#define PAGE_ALIGN 4096

/* A range of a file read into memory. */
struct chunk {
    uint64_t offset;
    size_t length;
    unsigned char *buf;
};

/*
 * An ELF file being parsed: either all its bytes in memory (data), or an
 * open file (fd) read in ranges, with the ELF header and the section header
 * table kept in memory.
 */
struct elf_view {
    const char *path;
    const unsigned char *data;   /* the whole file, or NULL when read from fd */
    int fd;
    size_t size;
    const struct layout *layout;
    bool big_endian;
    struct chunk head;           /* the ELF header, when read from fd */
    struct chunk table;          /* the section header table, when read from fd */
    const unsigned char *shdrs;  /* the section header table */
    uint64_t shoff;
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

/* Read an unsigned integer of width bytes at p, in the file's byte order. */
static uint64_t read_uint(const struct elf_view *v, const unsigned char *p, size_t width)
{
    uint64_t value = 0;

    for (size_t i = 0; i < width; i++) {
        size_t byte = v->big_endian ? i : width - 1 - i;
        value = (value << 8) | p[byte];
    }
    return value;
}

/* Read field f of the header at base. The caller checked that the header is in memory. */
static uint64_t read_field(const struct elf_view *v, const unsigned char *base, struct field f)
{
    return read_uint(v, base + f.offset, f.width);
}

/* Whether size bytes at offset lie inside the file. */
static bool in_file(const struct elf_view *v, uint64_t offset, uint64_t size)
{
    return offset <= v->size && size <= v->size - offset;
}

/* Read length bytes at offset of v's file into buf. Fail if the file is shorter now. */
static int read_range(const struct elf_view *v, unsigned char *buf, size_t length, uint64_t offset,
                      nvd_error **err)
{
    size_t done = 0;

    while (done < length) {
        ssize_t n = pread(v->fd, buf + done, length - done, (off_t)(offset + done));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return nvd_error_sys(err, errno, "read %s", v->path);
        if (n == 0)
            return nvd_error_set(err, NVD_ERR_DRIVER,
                                 "%s: the file shrank while it was read: retry when the driver install has finished",
                                 v->path);
        done += (size_t)n;
    }
    return 0;
}

/* Read length bytes at offset, inside the file, into chunk c. */
static int load_chunk(const struct elf_view *v, struct chunk *c, uint64_t offset, size_t length,
                      nvd_error **err)
{
    c->offset = offset;
    c->length = length;
    c->buf = nvd_xmalloc(length ? length : 1);
    return read_range(v, c->buf, length, offset, err);
}

/* Return the chunk's bytes at offset, or NULL if length bytes there are not all in it. */
static const unsigned char *chunk_bytes(const struct chunk *c, uint64_t offset, uint64_t length)
{
    if (!c->buf || offset < c->offset || offset - c->offset > c->length ||
        length > c->length - (offset - c->offset))
        return NULL;
    return c->buf + (offset - c->offset);
}

/*
 * Return length bytes at offset, which lie inside the file. Bytes not kept
 * in memory are read into a new buffer, stored in *owned for the caller to
 * free.
 */
static const unsigned char *view_bytes(const struct elf_view *v, uint64_t offset, uint64_t length,
                                       unsigned char **owned, nvd_error **err)
{
    const unsigned char *p;

    *owned = NULL;
    if (v->data)
        return v->data + offset;
    if ((p = chunk_bytes(&v->head, offset, length)) || (p = chunk_bytes(&v->table, offset, length)))
        return p;
    *owned = nvd_xmalloc(length ? (size_t)length : 1);
    if (read_range(v, *owned, (size_t)length, offset, err) < 0)
        return NULL;
    return *owned;
}

/* Read section header index. The caller checked that the table lies inside the file. */
static struct section read_section(const struct elf_view *v, uint64_t index)
{
    const struct layout *l = v->layout;
    const unsigned char *base = v->shdrs + index * l->shdr_size;

    return (struct section){
        .name = (uint32_t)read_field(v, base, l->sh_name),
        .type = (uint32_t)read_field(v, base, l->sh_type),
        .link = (uint32_t)read_field(v, base, l->sh_link),
        .offset = read_field(v, base, l->sh_offset),
        .size = read_field(v, base, l->sh_size),
        .entsize = read_field(v, base, l->sh_entsize),
    };
}

/* A string table in memory, or none (length 0). */
struct strtab {
    const unsigned char *bytes;
    uint64_t length;
    unsigned char *owned;
};

/*
 * Load string table section strndx into t. t stays empty when the section
 * is not a string table inside the file; fails only when reading fails.
 */
static int load_strtab(const struct elf_view *v, uint64_t strndx, struct strtab *t, nvd_error **err)
{
    *t = (struct strtab){ 0 };
    if (strndx == SHN_UNDEF || strndx >= v->shnum)
        return 0;
    struct section s = read_section(v, strndx);
    if (s.type != SHT_STRTAB || !in_file(v, s.offset, s.size))
        return 0;
    t->bytes = view_bytes(v, s.offset, s.size, &t->owned, err);
    if (!t->bytes)
        return -1;
    t->length = s.size;
    return 0;
}

/* Return the NUL-terminated string at index of t, or NULL when it does not end inside t. */
static const char *strtab_string(const struct strtab *t, uint64_t index)
{
    if (index >= t->length)
        return NULL;
    const char *start = (const char *)t->bytes + index;
    if (!memchr(start, '\0', t->length - index))
        return NULL;
    return start;
}

/*
 * Keep the section header table in memory. From a file, the read starts at
 * the page boundary before it, which usually takes in the section names.
 */
static int load_table(struct elf_view *v, nvd_error **err)
{
    uint64_t length = v->shnum * v->layout->shdr_size;

    if (v->data) {
        v->shdrs = v->data + v->shoff;
        return 0;
    }
    uint64_t start = v->shoff - v->shoff % PAGE_ALIGN;
    if (load_chunk(v, &v->table, start, (size_t)(v->shoff - start + length), err) < 0)
        return -1;
    v->shdrs = v->table.buf + (v->shoff - start);
    return 0;
}

/*
 * Check the ELF identification and header, and find the section header
 * table: e_shnum, or with more than SHN_LORESERVE - 1 sections, the sh_size
 * of section 0 (extended numbering). A library stripped of its section
 * headers (sstrip) is rejected here too.
 */
static int read_header(struct elf_view *v, uint64_t *shstrndx, nvd_error **err)
{
    const unsigned char *ident = v->data ? v->data : v->head.buf;

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

    uint64_t shentsize = read_field(v, ident, l->e_shentsize);
    v->shoff = read_field(v, ident, l->e_shoff);
    v->shnum = read_field(v, ident, l->e_shnum);
    *shstrndx = read_field(v, ident, l->e_shstrndx);
    if (v->shoff == 0)
        v->shnum = 0;
    if (v->shoff != 0 && (v->shnum == 0 || *shstrndx == SHN_XINDEX)) {
        /* Extended numbering: the real values are in section 0. */
        if (!in_file(v, v->shoff, l->shdr_size))
            return nvd_error_set(err, NVD_ERR_DRIVER,
                                 "%s: section header 0 at offset %llu does not fit in the %zu-byte file: the file is truncated or corrupt, reinstall the driver",
                                 v->path, (unsigned long long)v->shoff, v->size);
        cleanup_free unsigned char *owned = NULL;
        const unsigned char *zero = view_bytes(v, v->shoff, l->shdr_size, &owned, err);
        if (!zero)
            return -1;
        v->shnum = v->shnum ? v->shnum : read_field(v, zero, l->sh_size);
        if (*shstrndx == SHN_XINDEX)
            *shstrndx = read_field(v, zero, l->sh_link);
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
    return load_table(v, err);
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
    if (count > MAX_DYNAMIC_ENTRIES)
        count = MAX_DYNAMIC_ENTRIES;

    cleanup_free unsigned char *owned = NULL;
    const unsigned char *entries = view_bytes(v, s->offset, count * l->dyn_size, &owned, err);
    struct strtab strings = { 0 };
    int ret = 0;
    if (!entries)
        return -1;
    for (uint64_t i = 0; i < count && ret == 0; i++) {
        const unsigned char *entry = entries + i * l->dyn_size;
        uint64_t tag = read_field(v, entry, l->d_tag);

        if (tag == DT_NULL)
            break;
        if (tag != DT_SONAME && tag != DT_NEEDED)
            continue;
        if (!strings.bytes && !strings.owned && (ret = load_strtab(v, s->link, &strings, err)) < 0)
            break;
        ret = add_dynamic_string(info, v->path, tag, strtab_string(&strings, read_field(v, entry, l->d_val)),
                                 err);
    }
    free(strings.owned);
    return ret;
}

/* Read the GNU ABI note of section s, inside the file, into info. has_abi_tag stays false for another note. */
static int read_abi_note(const struct elf_view *v, const struct section *s, struct nvd_elf_info *info,
                         nvd_error **err)
{
    /* The descriptor starts after the 12-byte header and the 4-byte name "GNU". */
    const size_t desc = ABI_NOTE_HEADER_SIZE + ABI_NOTE_NAME_SIZE;
    cleanup_free unsigned char *owned = NULL;

    if (s->size < desc + ABI_NOTE_DESC_SIZE)
        return 0;
    const unsigned char *p = view_bytes(v, s->offset, desc + ABI_NOTE_DESC_SIZE, &owned, err);
    if (!p)
        return -1;
    if (read_uint(v, p, 4) != ABI_NOTE_NAME_SIZE || read_uint(v, p + 4, 4) < ABI_NOTE_DESC_SIZE ||
        read_uint(v, p + 8, 4) != NT_GNU_ABI_TAG ||
        memcmp(p + ABI_NOTE_HEADER_SIZE, ABI_NOTE_NAME, ABI_NOTE_NAME_SIZE) != 0)
        return 0;

    info->has_abi_tag = true;
    info->abi_os = (uint32_t)read_uint(v, p + desc, 4);
    for (size_t i = 0; i < 3; i++)
        info->abi_version[i] = (uint32_t)read_uint(v, p + desc + 4 * (i + 1), 4);
    return 0;
}

/* Read the facts of the file v into info. */
static int parse_view(struct elf_view *v, struct nvd_elf_info *info, nvd_error **err)
{
    uint64_t shstrndx = SHN_UNDEF;
    struct strtab names = { 0 };
    int ret = 0;

    if (read_header(v, &shstrndx, err) < 0 || check_sections(v, err) < 0)
        return -1;
    if (shstrndx >= v->shnum)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "%s: unreadable section headers: section name table %llu of %llu: the file is truncated or corrupt",
                             v->path, (unsigned long long)shstrndx, (unsigned long long)v->shnum);
    if (load_strtab(v, shstrndx, &names, err) < 0)
        return -1;

    for (uint64_t i = 1; i < v->shnum && ret == 0; i++) {
        struct section s = read_section(v, i);

        if (s.type == SHT_DYNAMIC) {
            ret = read_dynamic(v, &s, info, err);
            continue;
        }
        const char *name = s.type == SHT_NOTE ? strtab_string(&names, s.name) : NULL;
        if (name && strcmp(name, ABI_NOTE_SECTION) == 0)
            ret = read_abi_note(v, &s, info, err);
    }
    free(names.owned);
    return ret;
}

int nvd_elf_parse(const char *path, const void *data, size_t size, struct nvd_elf_info *info,
                  nvd_error **err)
{
    struct elf_view v = { .path = path, .data = data, .fd = -1, .size = size };

    *info = (struct nvd_elf_info){ 0 };
    return parse_view(&v, info, err);
}

int nvd_elf_parse_file(int fd, const char *path, size_t size, struct nvd_elf_info *info,
                       nvd_error **err)
{
    struct elf_view v = { .path = path, .fd = fd, .size = size };
    int ret;

    *info = (struct nvd_elf_info){ 0 };
    if (size < EI_NIDENT)
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: not an ELF file", path);
    ret = load_chunk(&v, &v.head, 0, size < HEAD_SIZE ? size : HEAD_SIZE, err);
    if (ret == 0)
        ret = parse_view(&v, info, err);
    free(v.head.buf);
    free(v.table.buf);
    return ret;
}

/*
 * A small file costs one pread(). A larger one costs a pread() of its head,
 * of its section header table and of each table read: about four in all.
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
        return nvd_error_set(err, NVD_ERR_DRIVER, "%s: the %lld-byte file is too large to read",
                             path, (long long)st.st_size);

    size_t size = (size_t)st.st_size;
    if (size > READ_WHOLE_MAX)
        return nvd_elf_parse_file(fd, path, size, info, err);

    struct elf_view v = { .path = path, .fd = fd, .size = size };
    cleanup_free unsigned char *data = nvd_xmalloc(size);
    if (read_range(&v, data, size, 0, err) < 0)
        return -1;
    return nvd_elf_parse(path, data, size, info, err);
}

void nvd_elf_info_clear(struct nvd_elf_info *info)
{
    for (size_t i = 0; i < info->needed_count; i++)
        free(info->needed[i]);
    free(info->needed);
    info->needed = NULL;
    info->needed_count = 0;
}
