/*
 * elf_patch.c: reads section headers and the dynamic section of ELF files
 * of either class, with every offset checked against the file size.
 */
#include <elf.h>
#include <string.h>

#include "elf_patch.h"

/* A section header, widened from ELF32 or ELF64. */
struct section {
    uint32_t name;
    uint32_t type;
    uint64_t offset;
    uint64_t size;
    uint32_t link;
};

/* Location of the section header table, from the file header. */
struct elf_layout {
    int is_64;
    uint64_t table_offset;
    uint32_t entry_size;
    uint32_t count;
    uint32_t names_index;   /* section holding the section names */
};

/* Return whether [offset, offset + length) lies inside a file of size bytes. */
static int in_file(uint64_t offset, uint64_t length, size_t size)
{
    return offset <= size && length <= size - offset;
}

/* Read the ELF header of data into layout. */
static int read_layout(const unsigned char *data, size_t size, const char *name,
                       struct elf_layout *layout, nvd_error **err)
{
    if (size < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG) != 0)
        return nvd_error_set(err, NVD_ERR_INVALID, "%s: not an ELF file", name);
    if (data[EI_DATA] != ELFDATA2LSB)
        return nvd_error_set(err, NVD_ERR_INVALID, "%s: not a little-endian ELF file", name);

    if (data[EI_CLASS] == ELFCLASS64 && size >= sizeof(Elf64_Ehdr)) {
        Elf64_Ehdr header;
        memcpy(&header, data, sizeof(header));
        *layout = (struct elf_layout){ 1, header.e_shoff, header.e_shentsize, header.e_shnum,
                                       header.e_shstrndx };
        if (layout->entry_size != sizeof(Elf64_Shdr))
            return nvd_error_set(err, NVD_ERR_INVALID, "%s: unexpected section header size", name);
    } else if (data[EI_CLASS] == ELFCLASS32 && size >= sizeof(Elf32_Ehdr)) {
        Elf32_Ehdr header;
        memcpy(&header, data, sizeof(header));
        *layout = (struct elf_layout){ 0, header.e_shoff, header.e_shentsize, header.e_shnum,
                                       header.e_shstrndx };
        if (layout->entry_size != sizeof(Elf32_Shdr))
            return nvd_error_set(err, NVD_ERR_INVALID, "%s: unexpected section header size", name);
    } else {
        return nvd_error_set(err, NVD_ERR_INVALID, "%s: unknown ELF class", name);
    }

    if (!in_file(layout->table_offset, (uint64_t)layout->entry_size * layout->count, size) ||
        layout->names_index >= layout->count)
        return nvd_error_set(err, NVD_ERR_INVALID, "%s: section header table out of bounds", name);
    return 0;
}

/* Read section header `index`, whose contents must lie inside the file. */
static int read_section(const unsigned char *data, size_t size, const struct elf_layout *layout,
                        uint32_t index, struct section *section)
{
    const unsigned char *entry = data + layout->table_offset + (uint64_t)index * layout->entry_size;

    if (layout->is_64) {
        Elf64_Shdr header;
        memcpy(&header, entry, sizeof(header));
        *section = (struct section){ header.sh_name, header.sh_type, header.sh_offset,
                                     header.sh_size, header.sh_link };
    } else {
        Elf32_Shdr header;
        memcpy(&header, entry, sizeof(header));
        *section = (struct section){ header.sh_name, header.sh_type, header.sh_offset,
                                     header.sh_size, header.sh_link };
    }
    if (section->type == SHT_NOBITS)
        return 0;
    return in_file(section->offset, section->size, size) ? 0 : -1;
}

int sim_elf_find_section(const unsigned char *data, size_t size, const char *name,
                         const char *section_name, size_t *offset, size_t *section_size,
                         nvd_error **err)
{
    struct elf_layout layout;
    struct section names;

    if (read_layout(data, size, name, &layout, err) != 0)
        return -1;
    if (read_section(data, size, &layout, layout.names_index, &names) != 0)
        return nvd_error_set(err, NVD_ERR_INVALID, "%s: section names out of bounds", name);

    size_t name_size = strlen(section_name) + 1;
    for (uint32_t i = 0; i < layout.count; i++) {
        struct section section;

        if (read_section(data, size, &layout, i, &section) != 0)
            return nvd_error_set(err, NVD_ERR_INVALID, "%s: section %u out of bounds", name,
                                 (unsigned)i);
        if (section.name >= names.size || names.size - section.name < name_size ||
            memcmp(data + names.offset + section.name, section_name, name_size) != 0)
            continue;
        if (section.type == SHT_NOBITS)
            return nvd_error_set(err, NVD_ERR_INVALID, "%s: section %s has no bytes in the file",
                                 name, section_name);
        *offset = (size_t)section.offset;
        *section_size = (size_t)section.size;
        return 0;
    }
    return nvd_error_set(err, NVD_ERR_INVALID, "%s: no section %s", name, section_name);
}

/* Find DT_SONAME in the dynamic section and store its string's offset in .dynstr. */
static int find_soname(const unsigned char *data, const struct elf_layout *layout,
                       const struct section *dynamic, uint64_t *string_offset)
{
    size_t entry_size = layout->is_64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);

    for (uint64_t at = 0; at + entry_size <= dynamic->size; at += entry_size) {
        int64_t tag;
        uint64_t value;

        if (layout->is_64) {
            Elf64_Dyn entry;
            memcpy(&entry, data + dynamic->offset + at, sizeof(entry));
            tag = entry.d_tag;
            value = entry.d_un.d_val;
        } else {
            Elf32_Dyn entry;
            memcpy(&entry, data + dynamic->offset + at, sizeof(entry));
            tag = entry.d_tag;
            value = entry.d_un.d_val;
        }
        if (tag == DT_NULL)
            break;
        if (tag == DT_SONAME) {
            *string_offset = value;
            return 0;
        }
    }
    return -1;
}

int sim_elf_set_soname(unsigned char *data, size_t size, const char *name, const char *soname,
                       nvd_error **err)
{
    struct elf_layout layout;

    if (read_layout(data, size, name, &layout, err) != 0)
        return -1;

    for (uint32_t i = 0; i < layout.count; i++) {
        struct section dynamic, strings;
        uint64_t string_offset;

        if (read_section(data, size, &layout, i, &dynamic) != 0)
            return nvd_error_set(err, NVD_ERR_INVALID, "%s: section %u out of bounds", name,
                                 (unsigned)i);
        if (dynamic.type != SHT_DYNAMIC)
            continue;
        if (dynamic.link >= layout.count ||
            read_section(data, size, &layout, dynamic.link, &strings) != 0 ||
            strings.type != SHT_STRTAB)
            return nvd_error_set(err, NVD_ERR_INVALID, "%s: invalid .dynstr section", name);
        if (find_soname(data, &layout, &dynamic, &string_offset) != 0 ||
            string_offset >= strings.size)
            return nvd_error_set(err, NVD_ERR_INVALID, "%s: no DT_SONAME entry", name);

        /* The old soname ends at its NUL, and strnlen stops at the section end. */
        char *old = (char *)data + strings.offset + string_offset;
        size_t old_length = strnlen(old, strings.size - string_offset);
        size_t new_length = strlen(soname);
        if (strncmp(old, SIM_STUB_SONAME_PREFIX, strlen(SIM_STUB_SONAME_PREFIX)) != 0)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "%s: soname '%s' is not the stub placeholder %s...: rebuild nvd-sim's data files",
                                 name, old, SIM_STUB_SONAME_PREFIX);
        if (new_length > old_length)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "%s: soname '%s' is longer than the %zu characters of the placeholder",
                                 name, soname, old_length);
        memset(old, 0, old_length);
        memcpy(old, soname, new_length);
        return 0;
    }
    return nvd_error_set(err, NVD_ERR_INVALID, "%s: no dynamic section (not a shared object?)", name);
}

/* A dynamic symbol's name offset in .dynstr and whether the file defines it. */
struct dynamic_symbol {
    uint32_t name;
    int defined;
};

/* Read dynamic symbol `index` of the symbol table section symbols. */
static struct dynamic_symbol read_dynamic_symbol(const unsigned char *data,
                                                 const struct elf_layout *layout,
                                                 const struct section *symbols, uint64_t index)
{
    if (layout->is_64) {
        Elf64_Sym entry;
        memcpy(&entry, data + symbols->offset + index * sizeof(entry), sizeof(entry));
        return (struct dynamic_symbol){ entry.st_name, entry.st_shndx != SHN_UNDEF };
    }
    Elf32_Sym entry;
    memcpy(&entry, data + symbols->offset + index * sizeof(entry), sizeof(entry));
    return (struct dynamic_symbol){ entry.st_name, entry.st_shndx != SHN_UNDEF };
}

int sim_elf_hide_symbol(unsigned char *data, size_t size, const char *name, const char *symbol,
                        nvd_error **err)
{
    struct elf_layout layout;

    if (read_layout(data, size, name, &layout, err) != 0)
        return -1;

    for (uint32_t i = 0; i < layout.count; i++) {
        struct section symbols, strings;

        if (read_section(data, size, &layout, i, &symbols) != 0)
            return nvd_error_set(err, NVD_ERR_INVALID, "%s: section %u out of bounds", name,
                                 (unsigned)i);
        if (symbols.type != SHT_DYNSYM)
            continue;
        if (symbols.link >= layout.count ||
            read_section(data, size, &layout, symbols.link, &strings) != 0 ||
            strings.type != SHT_STRTAB)
            return nvd_error_set(err, NVD_ERR_INVALID, "%s: invalid .dynstr section", name);

        size_t entry_size = layout.is_64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
        uint64_t count = symbols.size / entry_size;
        size_t length = strlen(symbol);
        uint64_t found = count;

        for (uint64_t k = 0; k < count; k++) {
            struct dynamic_symbol entry = read_dynamic_symbol(data, &layout, &symbols, k);
            if (entry.defined && entry.name < strings.size &&
                strings.size - entry.name > length &&
                memcmp(data + strings.offset + entry.name, symbol, length + 1) == 0)
                found = k;
        }
        if (found == count)
            return nvd_error_set(err, NVD_ERR_INVALID, "%s: does not export %s", name, symbol);

        /*
         * A linker may store a name as the tail of a longer one. Changing the
         * first letter of ours would then change the longer name too.
         */
        uint32_t start = read_dynamic_symbol(data, &layout, &symbols, found).name;
        for (uint64_t k = 0; k < count; k++) {
            uint32_t other = read_dynamic_symbol(data, &layout, &symbols, k).name;
            if (k == found || other > start)
                continue;
            if (strnlen((const char *)data + strings.offset + other, strings.size - other) ==
                start - other + length)
                return nvd_error_set(err, NVD_ERR_INVALID,
                                     "%s: the name of %s is shared with another symbol", name, symbol);
        }
        data[strings.offset + start] = 'X';
        return 0;
    }
    return nvd_error_set(err, NVD_ERR_INVALID, "%s: no dynamic symbol table", name);
}
