/*
 * tabwriter.c: Go's text/tabwriter layout (elastic tabstops) for input
 * that is complete before it is laid out.
 *
 * The rules, for the settings that nvidia-docker 1.0 used (minimum width
 * 0, padding 0, space as the pad character, no flags):
 *   - '\n' ends a line. '\f' ends a line too, is written as '\n', and
 *     no column continues past it.
 *   - '\t' and '\v' end a cell; neither is written. The text after a
 *     line's last cell terminator is the line's trailing cell, which belongs
 *     to no column and is never padded.
 *   - Cell k of a line is in column k when a terminator follows it. A
 *     column block is a maximal run of consecutive lines that each have a
 *     terminated cell k. Every cell k of a block is padded with spaces to
 *     the widest cell k of that block, so a line with fewer cells ends the
 *     blocks of the columns it lacks.
 *   - Widths count runes as Go's utf8.RuneCount does: a byte that starts no
 *     valid UTF-8 sequence counts as one.
 *   - Byte 0xff opens and closes an escaped span, whatever the flags: inside
 *     it, '\t', '\v', '\n' and '\f' are plain text. The 0xff bytes are
 *     written but add nothing to the width. A span still open at the end
 *     of the input runs to the end.
 *   - Text after the last line end is written without a newline. If it is
 *     empty, the cell before it counts as that line's trailing cell, as in
 *     Go, where Flush adds no empty final cell.
 */
#include <stdbool.h>
#include <string.h>

#include "tabwriter.h"
#include "utf8.h"

#define ESCAPE_BYTE 0xff

/* A cell: bytes of the input and the width it is padded to. */
struct tw_cell {
    size_t offset;
    size_t size;       /* bytes */
    size_t width;      /* runes, without the 0xff escape bytes */
    size_t padded_width;
};

/* A line: a range of cells and how it ended. */
struct tw_line {
    size_t first_cell;
    size_t cell_count;          /* the last cell is the trailing one */
    bool has_newline;           /* ended by '\n' or '\f' */
    bool ends_blocks;           /* ended by '\f': no column block continues */
};

/* The input split into lines and cells. */
struct tw_table {
    struct tw_cell *cells;
    size_t cell_count, cell_cap;
    struct tw_line *lines;
    size_t line_count, line_cap;
};

/* Return the width of a cell: its runes less the 0xff escape bytes. */
static size_t cell_width(const char *s, size_t size)
{
    size_t escapes = 0;

    for (size_t i = 0; i < size; i++) {
        if ((unsigned char)s[i] == ESCAPE_BYTE)
            escapes++;
    }
    return nvd_utf8_rune_count(s, size) - escapes;
}

static void table_add_cell(struct tw_table *t, const char *text, size_t start, size_t end)
{
    if (t->cell_count == t->cell_cap) {
        t->cell_cap = t->cell_cap ? 2 * t->cell_cap : 64;
        t->cells = nvd_xrealloc(t->cells, t->cell_cap * sizeof(*t->cells));
    }
    t->cells[t->cell_count++] = (struct tw_cell){
        .offset = start,
        .size = end - start,
        .width = cell_width(text + start, end - start),
        .padded_width = 0,
    };
}

/* Close the line whose cells start at first_cell. */
static void table_add_line(struct tw_table *t, size_t first_cell, bool has_newline,
                           bool ends_blocks)
{
    if (t->line_count == t->line_cap) {
        t->line_cap = t->line_cap ? 2 * t->line_cap : 32;
        t->lines = nvd_xrealloc(t->lines, t->line_cap * sizeof(*t->lines));
    }
    t->lines[t->line_count++] = (struct tw_line){
        .first_cell = first_cell,
        .cell_count = t->cell_count - first_cell,
        .has_newline = has_newline,
        .ends_blocks = ends_blocks,
    };
}

/* Split text into lines and cells, honouring 0xff escaped spans. */
static void table_parse(struct tw_table *t, const char *text, size_t len)
{
    size_t cell_start = 0;
    size_t line_first_cell = 0;
    bool escaped = false;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c == ESCAPE_BYTE) {
            escaped = !escaped;
            continue;
        }
        if (escaped)
            continue;
        if (c == '\t' || c == '\v') {
            table_add_cell(t, text, cell_start, i);
            cell_start = i + 1;
        } else if (c == '\n' || c == '\f') {
            table_add_cell(t, text, cell_start, i);
            cell_start = i + 1;
            table_add_line(t, line_first_cell, true, c == '\f');
            line_first_cell = t->cell_count;
        }
    }

    /* The unfinished last line. Go's Flush drops its trailing cell when it is empty. */
    if (cell_start < len)
        table_add_cell(t, text, cell_start, len);
    if (t->cell_count > line_first_cell)
        table_add_line(t, line_first_cell, false, false);
}

/* Whether line has a terminated cell in column. */
static bool line_has_column(const struct tw_line *line, size_t column)
{
    return line->cell_count > column + 1;
}

/* Pad every cell of column in lines [first, end) to the widest of them. */
static void pad_block(struct tw_table *t, size_t column, size_t first, size_t end)
{
    size_t width = 0;

    for (size_t l = first; l < end; l++) {
        const struct tw_cell *cell = &t->cells[t->lines[l].first_cell + column];
        if (cell->width > width)
            width = cell->width;
    }
    for (size_t l = first; l < end; l++)
        t->cells[t->lines[l].first_cell + column].padded_width = width;
}

/*
 * Find the column blocks of one column and pad them. Returns whether any
 * line has a cell in that column.
 */
static bool pad_column(struct tw_table *t, size_t column)
{
    bool found = false;
    size_t l = 0;

    while (l < t->line_count) {
        if (!line_has_column(&t->lines[l], column)) {
            l++;
            continue;
        }
        size_t first = l;
        while (l < t->line_count && line_has_column(&t->lines[l], column)) {
            l++;
            if (t->lines[l - 1].ends_blocks)
                break;
        }
        pad_block(t, column, first, l);
        found = true;
    }
    return found;
}

static void append_spaces(struct nvd_buf *out, size_t n)
{
    static const char spaces[] = "                                ";
    const size_t chunk = sizeof(spaces) - 1;

    while (n > 0) {
        size_t k = n < chunk ? n : chunk;
        nvd_buf_append(out, spaces, k);
        n -= k;
    }
}

/* Write the lines with every terminated cell padded to its block's width. */
static void table_write(const struct tw_table *t, const char *text, struct nvd_buf *out)
{
    for (size_t l = 0; l < t->line_count; l++) {
        const struct tw_line *line = &t->lines[l];

        for (size_t k = 0; k < line->cell_count; k++) {
            const struct tw_cell *cell = &t->cells[line->first_cell + k];
            nvd_buf_append(out, text + cell->offset, cell->size);
            if (k + 1 < line->cell_count)
                append_spaces(out, cell->padded_width - cell->width);
        }
        if (line->has_newline)
            nvd_buf_append(out, "\n", 1);
    }
}

void nvd_tabwriter_format(struct nvd_buf *out, const char *text, size_t len)
{
    struct tw_table t = {0};

    table_parse(&t, text, len);
    for (size_t column = 0; pad_column(&t, column); column++)
        ;
    table_write(&t, text, out);
    free(t.cells);
    free(t.lines);
}
