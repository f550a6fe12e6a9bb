# prom_check.awk - checks a Prometheus text exposition (format 0.0.4) the
# way promtool's linter would for what zlb exports:
# - every sample's family has # HELP and # TYPE lines before it, once each;
# - names match [a-zA-Z_:][a-zA-Z0-9_:]*, labels are name="value";
# - counters end in _total, and nothing else does;
# - values are numbers (or +Inf/-Inf/NaN);
# - histogram buckets are cumulative, end with le="+Inf", which equals _count.
# Prints problems and exits 1 if there are any.
function problem(text) { print "line " NR ": " text; bad = 1 }
/^# HELP / {
    if ($3 in help) problem("second HELP for " $3)
    help[$3] = 1; next
}
/^# TYPE / {
    if ($3 in type) problem("second TYPE for " $3)
    if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) problem("bad type " $4)
    type[$3] = $4
    if ($4 == "counter" && $3 !~ /_total$/) problem("counter " $3 " does not end in _total")
    if ($4 != "counter" && $3 ~ /_total$/) problem($4 " " $3 " ends in _total")
    next
}
/^#/ || /^$/ { next }
{
    if (!match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { problem("bad metric name: " $0); next }
    name = substr($0, 1, RLENGTH)
    rest = substr($0, RLENGTH + 1)
    labels = ""
    if (substr(rest, 1, 1) == "{") {
        end = index(rest, "}")
        labels = substr(rest, 2, end - 2)
        rest = substr(rest, end + 1)
        n = split(labels, pairs, ",")
        for (i = 1; i <= n; i++)
            if (pairs[i] !~ /^[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"$/) problem("bad label " pairs[i])
    }
    value = rest; sub(/^ /, "", value)
    if (value !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/ && value !~ /^[-+]?Inf$/ && value != "NaN")
        problem("bad value '" value "' for " name)
    family = name
    if (!(family in type)) { family = name; sub(/_(bucket|sum|count)$/, "", family) }
    if (!(family in type) || !(family in help)) problem("no HELP/TYPE before " name)
    if (type[family] == "histogram" && name ~ /_bucket$/) {
        series = labels; sub(/,?le="[^"]*"/, "", series)
        if ((family, series) in last && value + 0 < last[family, series]) problem("bucket not cumulative: " $0)
        last[family, series] = value + 0
        if (labels ~ /le="\+Inf"/) inf[family, series] = value + 0
    }
    if (type[family] == "histogram" && name ~ /_count$/) {
        if (!((family, labels) in inf)) problem("no +Inf bucket before " $0)
        else if (inf[family, labels] != value + 0) problem("+Inf bucket != _count for " $0)
    }
    samples++
}
END {
    if (samples == 0) problem("no samples")
    exit bad
}
