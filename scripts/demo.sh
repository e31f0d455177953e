#!/bin/sh
# demo.sh - the schedules of the guide, side by side: what each warmup does to the LR over the
# first steps of a 1000-step run at a peak LR of 3e-4.
B=${1:-build}
W="$B/warmup"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
N=1000
set -- "none:cosine" "linear:warmup(10%) > cosine" "exp:warmup(10%, exp) > cosine" \
       "wsd:warmup(5%) > constant > linear(20%)" "hf:hf:cosine(num_warmup_steps=100)" \
       "torch:torch:SequentialLR([LinearLR(start_factor=0.1, total_iters=100), CosineAnnealingLR(T_max=900)], milestones=[100])"
i=0
for arm in "$@"; do
    name=${arm%%:*}; spec=${arm#*:}
    "$W" schedule "$spec" --lr 3e-4 --steps $N --format csv | cut -d, -f2 > "$tmp/$i" || exit 1
    sed -i "1s/.*/$name/" "$tmp/$i"
    echo "  $name = $spec"
    i=$((i + 1))
done
echo
echo "LR at selected steps (peak 3e-4, $N steps):"
seq -f '%g' 0 $((N - 1)) | sed '1i step' > "$tmp/step"
paste -d, "$tmp/step" "$tmp/0" "$tmp/1" "$tmp/2" "$tmp/3" "$tmp/4" "$tmp/5" |
    awk -F, 'NR == 1 || $1 ~ /^(0|1|2|5|10|20|50|99|100|200|500|800|900|999)$/ {
        printf "%6s", $1
        for (i = 2; i <= NF; i++) if (NR == 1) printf "  %10s", $i; else printf "  %10.4g", $i
        printf "\n" }'
echo
echo "Every spec above is accepted by 'warmup schedule', by wu_schedule_parse() in C, and"
echo "(for hf: and torch:) matches Hugging Face and PyTorch 1.13 to 1e-12."
