/*  options.h - the programs' command lines, each from one table (internal).

    A program describes every option once - name, short letter, type,
    range, help text - and gets from that one table both the parser and
    the --help text, so the two cannot disagree. Errors read the same in
    every program:

        PROG: --flag: reason
        Try 'PROG --help'.

    Accepted forms: --name VALUE, --name=VALUE, -x VALUE, -xVALUE, bundled
    short flags (-qj), and "--" to end the options. Arguments that are not
    options may come anywhere (they are handed back in order). A value is
    the next argument even when it starts with '-' (--heartbeat-ms -5 is a
    bad value, not a missing one). An option that is not repeatable may
    still be given twice: the last one counts (wrappers append overrides).
    --help and --version (-h, -V) are added to every table.                */

#ifndef ZLB_OPTIONS_H_INCLUDED
#define ZLB_OPTIONS_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    ZLB_OPT_FLAG,          //  no value; target: bool
    ZLB_OPT_INT,           //  whole number in min..max; target: int, int64_t, size_t
    ZLB_OPT_SIZE,          //  bytes, 64 or 4k/1m/2g, in min..max; target as INT
    ZLB_OPT_DURATION,      //  ms: 250ms, 2s, 1m, 1h, or a bare number of unit_ms
                           //  (1 when 0), in min..max; target as INT
    ZLB_OPT_STRING,        //  text, not empty; target: const char *
    ZLB_OPT_PATH,          //  a file or directory name, not empty; as STRING
    ZLB_OPT_ENDPOINT,      //  tcp://..., ipc://... (zlb_endpoint_valid); as STRING
    ZLB_OPT_SERVICE,       //  a service name (zlb_service_name_valid); as STRING
    ZLB_OPT_CUSTOM         //  check() parses the value into target
} zlb_opt_type_t;

//  A custom option's parser: NULL when value went into target, else the
//  reason it is wrong ("expected text or json").
typedef const char *(zlb_opt_check_fn) (const char *value, void *target);

//  Where a repeatable option's values go, in order.
#define ZLB_OPT_LIST_MAX 16
typedef struct {
    const char *items [ZLB_OPT_LIST_MAX];
    int count;
} zlb_opt_list_t;

typedef struct {
    const char *name;          //  long name without "--"; NULL ends the table
    char letter;               //  short name, 0 for none
    zlb_opt_type_t type;
    const char *value_name;    //  in --help: "MS", "FILE" (not for flags)
    void *target;              //  where the value goes (ZLB_OPT_INTO)
    size_t target_size;        //  sizeof *target, for numbers
    int64_t min, max;          //  numbers: the accepted range
    int64_t unit_ms;           //  durations: what a bare number counts (0 = 1 ms)
    bool repeatable;           //  target is a zlb_opt_list_t
    bool distinct;             //  repeatable: the same value twice is an error
    zlb_opt_check_fn *check;   //  ZLB_OPT_CUSTOM
    bool *given;               //  set when the option is on the command line
    const char *help;          //  one paragraph, wrapped for --help
    const char *default_text;  //  NULL: the target's value before parsing
                               //  (numbers, strings); "": no default shown
} zlb_option_t;

//  The last entry of a table (designated, so that no compiler asks for the
//  other fields).
#define ZLB_OPT_END { .name = NULL }

//  target and target_size of a field, e.g. ZLB_OPT_INTO (args.count).
#define ZLB_OPT_INTO(field) .target = &(field), .target_size = sizeof (field)

//  The two CURVE options of every program that talks to a broker.
#define ZLB_OPT_CURVE(broker_key, curve_secret, fresh_keys)                         \
    {"broker-key", 0, ZLB_OPT_PATH, "FILE", ZLB_OPT_INTO (broker_key),              \
     .help = "broker's public certificate: encrypt with CURVE"},                    \
    {"curve-secret", 0, ZLB_OPT_PATH, "FILE", ZLB_OPT_INTO (curve_secret),          \
     .default_text = (fresh_keys), .help = "our certificate (a _secret file from zlb-keygen)"}

typedef struct {
    const char *prog;          //  "zlb-broker": errors and --version
    const char *usage;         //  the text before the options ("Usage: ...")
    const char *footer;        //  the text after them (exit codes...), or NULL
    const zlb_option_t *table; //  ends with an entry whose name is NULL
    int max_args;              //  arguments that are not options; -1 = any
    FILE *out, *err;           //  --help and errors (NULL: stdout, stderr)
} zlb_options_t;

#define ZLB_OPTIONS_RUN   0    //  parsed: go on
#define ZLB_OPTIONS_DONE  1    //  --help or --version was printed: exit 0
#define ZLB_OPTIONS_BAD  -1    //  the error was printed: exit 2

//  Parse argv [1..argc-1] into the table's targets. The arguments that are
//  not options go to *args (pointers into argv), *nargs of them.
int zlb_options_parse (const zlb_options_t *self, int argc, char **argv,
                       char ***args, int *nargs);

//  The --help text: usage, the generated options, footer.
void zlb_options_help (const zlb_options_t *self, FILE *out);

//  Say what is wrong the same way the parser does ("PROG: --flag: reason"
//  or "PROG: reason" when flag is NULL, then "Try 'PROG --help'.") and
//  return ZLB_OPTIONS_BAD. For checks across options, after parsing.
int zlb_options_fail (const zlb_options_t *self, const char *flag, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  --help and --version: the entries every table gets.
const zlb_option_t *zlb_options_builtin (void);

//  A number as --help and errors show it: sizes in KiB/MiB/GiB, durations
//  in ms/s/m/h when they divide evenly.
void zlb_opt_format (const zlb_option_t *entry, int64_t value, char *buf, size_t size);

//  Custom checks shared by several programs.
zlb_opt_check_fn zlb_opt_log_level;        //  target: zlb_log_level_t
zlb_opt_check_fn zlb_opt_log_format;       //  target: zlb_log_format_t
zlb_opt_check_fn zlb_opt_worker_service;   //  target: const char * (not mmi.*)
zlb_opt_check_fn zlb_opt_worker_id;        //  target: const char *

#endif
