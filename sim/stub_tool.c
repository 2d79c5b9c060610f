/*
 * stub_tool.c: the program that nvd-sim installs as each driver binary
 * without a double (nvidia-modprobe, nvidia-persistenced, ...). It does
 * nothing and exits 0, so that callers such as the plugin's
 * "nvidia-modprobe -u -c=0" succeed.
 */
int main(void)
{
    return 0;
}
