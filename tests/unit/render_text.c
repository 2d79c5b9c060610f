/*
 * Unit tests for the tabwriter layout and the /gpu/info and /gpu/status
 * text replies: 1.0's exact bytes for two Tesla K80s, every value
 * unknown, and zero GPUs.
 */
#include "golden.h"

#include "tabwriter.h"

/* Check that the tabwriter lays out input (len bytes) as want (want_len bytes). */
static void expect_layout_n(const char *input, size_t len, const char *want, size_t want_len)
{
    struct nvd_buf out = {0};

    nvd_tabwriter_format(&out, input, len);
    if (out.len != want_len || memcmp(out.data ? out.data : "", want, want_len) != 0)
        fail_msg("layout of \"%s\":\ngot  \"%s\"\nwant \"%s\"", input,
                 out.data ? out.data : "", want);
    nvd_buf_free(&out);
}

static void expect_layout(const char *input, const char *want)
{
    expect_layout_n(input, strlen(input), want, strlen(want));
}

static void tabwriter_aligns_column(void **state)
{
    expect_layout("a\tb\naaa\tc\n", "a  b\naaac\n");
    expect_layout("Model:  \tx\nCPU Affinity:  \ty\n", "Model:         x\nCPU Affinity:  y\n");
}

static void tabwriter_trailing_cell_unpadded(void **state)
{
    expect_layout("x\tlong\nyy\tz\n", "x long\nyyz\n");
    expect_layout("a\tb\n", "ab\n");
}

static void tabwriter_line_without_tab_ends_group(void **state)
{
    expect_layout("a\t1\nheader\nbbb\t2\n", "a1\nheader\nbbb2\n");
    expect_layout("a\t1\n\nbbb\t2\n", "a1\n\nbbb2\n");
}

static void tabwriter_counts_runes(void **state)
{
    /* "é" and "°" are two bytes but one rune each. */
    expect_layout("\xc3\xa9\t1\nabc\t2\n", "\xc3\xa9  1\nabc2\n");
    expect_layout("34 \xc2\xb0" "C\tx\n12345\ty\n", "34 \xc2\xb0" "Cx\n12345y\n");
    /* A four-byte rune is one. */
    expect_layout("\xf0\x9f\x98\x80\tx\nab\ty\n", "\xf0\x9f\x98\x80 x\naby\n");
}

static void tabwriter_invalid_utf8_bytes(void **state)
{
    /* A truncated sequence is two runes of width one, as in Go's utf8.RuneCount. */
    expect_layout("\xe2\x82\tx\nabc\ty\n", "\xe2\x82 x\nabcy\n");
    expect_layout("\x80\tx\nab\ty\n", "\x80 x\naby\n");
}

static void tabwriter_empty_cells(void **state)
{
    expect_layout("\ta\nxx\tb\n", "  a\nxxb\n");
    expect_layout("a\t\tz\nbb\tccc\tq\n", "a    z\nbbcccq\n");
    expect_layout("\t\n\t\n", "\n\n");
}

static void tabwriter_column_blocks_per_column(void **state)
{
    /* Line 2 has no cell in column 1, so lines 1 and 3 pad column 1 separately. */
    expect_layout("a\tbbb\tc\naa\tb\nx\ty\tz\n", "a bbbc\naab\nx yz\n");
    /* Column 0 spans all three lines; column 1 only the last two. */
    expect_layout("a\tb\nbb\tc\td\nccc\tdddd\te\n", "a  b\nbb c   d\ncccdddde\n");
}

static void tabwriter_vertical_tab_and_form_feed(void **state)
{
    /* '\v' ends a cell as '\t' does. */
    expect_layout("a\vb\nccc\vd\n", "a  b\ncccd\n");
    /* '\f' ends the line, is written as '\n' and ends every column block. */
    expect_layout("a\tb\fccc\td\n", "ab\ncccd\n");
}

static void tabwriter_escaped_span(void **state)
{
    /* The tab inside 0xff ... 0xff is text; the 0xff bytes have no width. */
    expect_layout("a\xff\t\xff" "b\tc\nxxxx\td\n", "a\xff\t\xff" "b c\nxxxxd\n");
    /* A newline inside the span does not end the line. */
    expect_layout("\xff\n\xff\tx\nab\ty\n", "\xff\n\xff x\naby\n");
    /* An open span runs to the end of the input. */
    expect_layout("a\tb\n\xff" "c\td\n", "ab\n\xff" "c\td\n");
}

static void tabwriter_unterminated_last_line(void **state)
{
    expect_layout("a\tb\ncc\td", "a b\nccd");
    /* Go's Flush adds no empty final cell, so "cc" is that line's trailing cell. */
    expect_layout("a\tb\ncc\t", "ab\ncc");
    expect_layout("", "");
    expect_layout("\n", "\n");
}

static void tabwriter_embedded_nul(void **state)
{
    /* The layout works on lengths, so a NUL byte is one rune like any other. */
    expect_layout_n("a\0\tx\nabc\ty\n", 11, "a\0 x\nabcy\n", 10);
}

/* Check that text equals the golden file, showing both when they differ. */
static void expect_golden(const char *text, const char *relative)
{
    char *want = golden_read(relative);

    if (strcmp(text, want) != 0)
        fail_msg("%s differs:\n--- got\n%s--- want\n%s", relative, text, want);
    free(want);
}

static void gpu_info_text_golden(void **state)
{
    struct nvd_host host = k80x2_host();
    char *text = nvd_render_gpu_info_text(&host);

    expect_golden(text, GOLDEN_1_0_DIR "/gpu-info.txt");
    free(text);
}

static void gpu_status_text_golden(void **state)
{
    struct nvd_host host = k80x2_host();
    char *text = nvd_render_gpu_status_text(&host, k80x2_status());

    expect_golden(text, GOLDEN_1_0_DIR "/gpu-status.txt");
    free(text);
}

static void gpu_info_text_all_unknown(void **state)
{
    struct nvd_gpu gpu = unknown_gpu();
    struct nvd_host host = {.driver_version = "375.66", .cuda_version = "", .gpu_count = 1, .gpus = &gpu};
    char *text = nvd_render_gpu_info_text(&host);

    assert_string_equal(text,
        "\n"
        "Driver version:          375.66\n"
        "Supported CUDA version:  N/A\n"
        "\n"
        "Device #0\n"
        "  Model:         N/A\n"
        "  UUID:          GPU-00000000-0000-0000-0000-000000000000\n"
        "  Path:          /dev/nvidia0\n"
        "  Family:        N/A\n"
        "  Arch:          N/A\n"
        "  Cores:         N/A\n"
        "  Power:         N/A\n"
        "  CPU Affinity:  N/A\n"
        "  PCI\n"
        "    Bus ID:     0000:01:00.0\n"
        "    BAR1:       N/A\n"
        "    Bandwidth:  N/A\n"
        "  Memory\n"
        "    ECC:        N/A\n"
        "    Global:     N/A\n"
        "    Constant:   N/A\n"
        "    Shared:     N/A\n"
        "    L2 Cache:   N/A\n"
        "    Bandwidth:  N/A\n"
        "  Clocks\n"
        "    Cores:        N/A\n"
        "    Memory:       N/A\n"
        "  P2P Available:  None\n"
        "\n");
    free(text);
}

static void gpu_info_text_zero_values(void **state)
{
    struct nvd_gpu gpu = unknown_gpu();
    gpu.power_w = 0;
    gpu.cpu_affinity = 1;
    gpu.ecc = 0;
    gpu.cores = 0;
    struct nvd_host host = {.driver_version = "375.66", .cuda_version = "8.0", .gpu_count = 1, .gpus = &gpu};
    char *text = nvd_render_gpu_info_text(&host);

    /* A known zero is printed: 1.0 tested for a missing value, not for zero. */
    assert_non_null(strstr(text, "  Cores:         0\n"));
    assert_non_null(strstr(text, "  Power:         0 W\n"));
    assert_non_null(strstr(text, "  CPU Affinity:  NUMA node1\n"));
    assert_non_null(strstr(text, "    ECC:        false\n"));
    free(text);
}

static void gpu_info_text_link_texts(void **state)
{
    struct nvd_peer peers[] = {
        {"0000:01:00.0", NVD_P2P_SAME_BOARD},
        {"0000:02:00.0", NVD_P2P_SINGLE_SWITCH},
        {"0000:03:00.0", NVD_P2P_MULTIPLE_SWITCHES},
        {"0000:04:00.0", NVD_P2P_HOST_BRIDGE},
        {"0000:05:00.0", NVD_P2P_SAME_CPU},
        {"0000:06:00.0", NVD_P2P_CROSS_CPU},
        {"0000:07:00.0", NVD_P2P_UNKNOWN},
        {"0000:08:00.0", (enum nvd_p2p_link)99},
    };
    struct nvd_gpu gpu = unknown_gpu();
    gpu.peers = peers;
    gpu.peer_count = sizeof(peers) / sizeof(peers[0]);
    struct nvd_host host = {.driver_version = "375.66", .cuda_version = "8.0", .gpu_count = 1, .gpus = &gpu};
    char *text = nvd_render_gpu_info_text(&host);

    /* With peers, "P2P Available" is a header, so Clocks keeps its own width. */
    assert_non_null(strstr(text,
        "  Clocks\n"
        "    Cores:   N/A\n"
        "    Memory:  N/A\n"
        "  P2P Available\n"
        "    0000:01:00.0 - Same board\n"
        "    0000:02:00.0 - Single PCI switch\n"
        "    0000:03:00.0 - Multiple PCI switches\n"
        "    0000:04:00.0 - Host PCI bridge\n"
        "    0000:05:00.0 - Same CPU socket\n"
        "    0000:06:00.0 - Cross CPU socket\n"
        "    0000:07:00.0 - N/A\n"
        "    0000:08:00.0 - N/A\n"
        "\n"));
    free(text);
}

static void gpu_info_text_zero_gpus(void **state)
{
    struct nvd_host host = {.driver_version = "550.54.15", .cuda_version = "12.4"};
    char *text = nvd_render_gpu_info_text(&host);

    assert_string_equal(text, "\nDriver version:          550.54.15\nSupported CUDA version:  12.4\n\n");
    free(text);
}

static void gpu_status_text_all_unknown(void **state)
{
    struct nvd_gpu gpu = unknown_gpu();
    struct nvd_gpu_status st = unknown_status();
    struct nvd_host host = {.driver_version = "375.66", .gpu_count = 1, .gpus = &gpu};
    char *text = nvd_render_gpu_status_text(&host, &st);

    assert_string_equal(text,
        "\n"
        "Device #0\n"
        "  Power:        N/A\n"
        "  Temperature:  N/A\n"
        "  Utilization\n"
        "    GPU:      N/A\n"
        "    Memory:   N/A\n"
        "    Encoder:  N/A\n"
        "    Decoder:  N/A\n"
        "  Memory\n"
        "    Global:  N/A\n"
        "    ECC Errors\n"
        "      L1 Cache:  N/A\n"
        "      L2 Cache:  N/A\n"
        "      Global:    N/A\n"
        "  PCI\n"
        "    BAR1:  N/A\n"
        "    Throughput\n"
        "      RX:  N/A\n"
        "      TX:  N/A\n"
        "  Clocks\n"
        "    Cores:    N/A\n"
        "    Memory:   N/A\n"
        "  Processes:  None\n"
        "\n");
    free(text);
}

static void gpu_status_text_needs_both_values(void **state)
{
    struct nvd_gpu gpu = unknown_gpu();
    struct nvd_gpu_status st = unknown_status();
    struct nvd_host host = {.driver_version = "375.66", .gpu_count = 1, .gpus = &gpu};

    /* Used values without the GPU's limit and totals: N/A, as 1.0's template tested both. */
    st.power_w = 57;
    st.memory_used_mib = 1201;
    st.bar1_used_mib = 4;
    char *text = nvd_render_gpu_status_text(&host, &st);
    assert_non_null(strstr(text, "  Power:        N/A\n"));
    assert_non_null(strstr(text, "    Global:  N/A\n"));
    assert_non_null(strstr(text, "    BAR1:  N/A\n"));
    free(text);

    /* The limit and totals without the used values: N/A too. */
    st = unknown_status();
    gpu.power_w = 149;
    gpu.memory_mib = 11439;
    gpu.bar1_mib = 16384;
    text = nvd_render_gpu_status_text(&host, &st);
    assert_non_null(strstr(text, "  Power:        N/A\n"));
    assert_non_null(strstr(text, "    Global:  N/A\n"));
    assert_non_null(strstr(text, "    BAR1:  N/A\n"));
    free(text);
}

static void gpu_status_text_processes(void **state)
{
    struct nvd_process processes[] = {
        {1, "a", NVD_UNKNOWN},
        {22, "<x> & y", 5},
        {333, "", 0},
    };
    struct nvd_gpu gpu = unknown_gpu();
    struct nvd_gpu_status st = unknown_status();
    st.processes = processes;
    st.process_count = 3;
    struct nvd_host host = {.driver_version = "375.66", .gpu_count = 1, .gpus = &gpu};
    char *text = nvd_render_gpu_status_text(&host, &st);

    /* All processes form one group; names are written as they are. */
    assert_non_null(strstr(text,
        "  Clocks\n"
        "    Cores:   N/A\n"
        "    Memory:  N/A\n"
        "  Processes\n"
        "    - PID:     1\n"
        "      Name:    a\n"
        "      Memory:  N/A\n"
        "    - PID:     22\n"
        "      Name:    <x> & y\n"
        "      Memory:  5 MiB\n"
        "    - PID:     333\n"
        "      Name:    \n"
        "      Memory:  0 MiB\n"
        "\n"));
    free(text);
}

static void gpu_status_text_zero_gpus(void **state)
{
    struct nvd_host host = {.driver_version = "375.66"};
    char *text = nvd_render_gpu_status_text(&host, NULL);

    assert_string_equal(text, "\n");
    free(text);
}

static void gpu_text_wide_name(void **state)
{
    /* A model name wider than every label moves no other column. */
    struct nvd_gpu gpu = unknown_gpu();
    snprintf(gpu.name, sizeof(gpu.name), "NVIDIA \xc2\xb5 GPU\twith a tab");
    struct nvd_host host = {.driver_version = "1", .cuda_version = "2", .gpu_count = 1, .gpus = &gpu};
    char *text = nvd_render_gpu_info_text(&host);

    /* The tab in the name makes a third cell, as it did in 1.0's template output. */
    assert_non_null(strstr(text, "  Model:         NVIDIA \xc2\xb5 GPUwith a tab\n"));
    assert_non_null(strstr(text, "  UUID:          GPU-"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tabwriter_aligns_column),
        cmocka_unit_test(tabwriter_trailing_cell_unpadded),
        cmocka_unit_test(tabwriter_line_without_tab_ends_group),
        cmocka_unit_test(tabwriter_counts_runes),
        cmocka_unit_test(tabwriter_invalid_utf8_bytes),
        cmocka_unit_test(tabwriter_empty_cells),
        cmocka_unit_test(tabwriter_column_blocks_per_column),
        cmocka_unit_test(tabwriter_vertical_tab_and_form_feed),
        cmocka_unit_test(tabwriter_escaped_span),
        cmocka_unit_test(tabwriter_unterminated_last_line),
        cmocka_unit_test(tabwriter_embedded_nul),
        cmocka_unit_test(gpu_info_text_golden),
        cmocka_unit_test(gpu_status_text_golden),
        cmocka_unit_test(gpu_info_text_all_unknown),
        cmocka_unit_test(gpu_info_text_zero_values),
        cmocka_unit_test(gpu_info_text_link_texts),
        cmocka_unit_test(gpu_info_text_zero_gpus),
        cmocka_unit_test(gpu_status_text_all_unknown),
        cmocka_unit_test(gpu_status_text_needs_both_values),
        cmocka_unit_test(gpu_status_text_processes),
        cmocka_unit_test(gpu_status_text_zero_gpus),
        cmocka_unit_test(gpu_text_wide_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
