/* fuzz_cli.c - the command line of every subcommand: the input is split at newlines into argv
 * ("warmup" first) and run through the real dispatcher with cli_parse_only set, so every option
 * parser, value check, spec and configuration check runs, and nothing trains or writes. */
#include "fuzz.h"
#include "cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The error messages are the expected output: `make fuzz` runs this target with
       -close_fd_mask=3 (libFuzzer keeps its own reports), tests/test_fuzz.c silences each call. */
    cli_parse_only = 1;
    char *s = fuzz_str(data, size);
    char *argv[34] = {"warmup"};
    int argc = 1;
    for (char *p = s; argc < 33;) {
        argv[argc++] = p;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
    argv[argc] = NULL;
    cli_main(argc, argv);
    free(s);
    return 0;
}
