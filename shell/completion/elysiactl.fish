# The walker: the tokens before the cursor are read past elysiactl's own flags to a mode
# (col, collection, sandbox, completion), then to a command and its arguments; the token
# under the cursor is completed from the table above, with descriptions.

function __elysiactl_value --argument-names slot prefix
    # The value of one slot ("KEY --option" or "KEY #N"); prefix goes before each candidate.
    set -l choices (__elysiactl_table choices $slot)
    if set -q choices[1]
        printf '%s\n' "$prefix"$choices
        return
    end
    set -l source (__elysiactl_table sources $slot)
    switch "$source"
        case files
            set -l typed (commandline -ct | string replace -r -- '^--[^=]*=' '')
            for path in (__fish_complete_path $typed)
                printf '%s\n' "$prefix$path"
            end
        case commands
            __elysiactl_table heads ''
        case collections profiles
            # asked of elysiactl itself with the flags typed before the command (--url,
            # --profile, ...); it answers within a second, and quietly
            set -l program (commandline -opc)[1]
            for name in ($program __complete $source $__elysiactl_flags 2>/dev/null)
                printf '%s\n' "$prefix$name"
            end
    end
end

function __elysiactl_arguments --argument-names key
    # The arguments of command KEY, given the tokens after it: an option's value, an option,
    # or the positional argument the cursor stands at.
    set -l w $argv
    set -e w[1]
    set -l takes (__elysiactl_table takes $key)
    set -l cur (commandline -ct)
    set -l n (count $w)
    set -l pos 0
    set -l i 1
    while test $i -le $n
        set -l word $w[$i]
        set i (math $i + 1)
        if contains -- $word $takes
            if test $i -gt $n
                __elysiactl_value "$key $word" ''
                return
            end
            set i (math $i + 1)
        else if not string match -q -- '-*' $word
            set pos (math $pos + 1)
        end
    end
    if string match -q -- '--*=*' $cur
        set -l option (string replace -r -- '=.*' '' $cur)
        __elysiactl_value "$key $option" "$option="
    else if string match -q -- '-*' $cur
        __elysiactl_table opts $key
    else
        set -l max (__elysiactl_table args $key)
        set -q max[1]; or return
        set pos (math $pos + 1)
        if string match -q -- '*+' $max
            set max (string trim -r -c + -- $max)
            test $pos -gt $max; and set pos $max
        end
        test $pos -le $max; and __elysiactl_value "$key #$pos" ''
    end
end

function __elysiactl_slice --argument-names from to
    # Tokens FROM to TO of the rest (fish's $list[N..M] runs backwards when M < N).
    set -l tokens $argv
    set -e tokens[1..2]
    for i in (seq $from $to)
        printf '%s\n' $tokens[$i]
    end
end

function __elysiactl_complete
    set -l w (commandline -opc)
    set -e w[1]
    set -l cur (commandline -ct)
    set -l n (count $w)
    set -l takes (__elysiactl_table takes elysiactl)
    set -l i 1
    while test $i -le $n; and string match -q -- '-*' $w[$i]  # elysiactl's own flags
        contains -- $w[$i] $takes; and set i (math $i + 1)
        set i (math $i + 1)
    end
    set -g __elysiactl_flags (__elysiactl_slice 1 (math $i - 1) $w)
    if test $i -gt $n
        __elysiactl_arguments elysiactl $w
        return
    end
    switch $w[$i]
        case col collection
            set i (math $i + 1)
            if test $i -gt $n
                if string match -q -- '-*' $cur
                    printf '%s\n' --help
                else
                    __elysiactl_table heads ''
                end
                return
            end
            set -l key $w[$i]
            set i (math $i + 1)
            set -l subs (__elysiactl_table subs $key | string replace -r -- '\t.*' '')
            if set -q subs[1]
                if test $i -le $n; and contains -- $w[$i] $subs
                    set key "$key $w[$i]"
                    set i (math $i + 1)
                else if test $i -gt $n; and not string match -q -- '-*' $cur
                    __elysiactl_table subs $key
                end
            end
            set -l options (__elysiactl_table opts $key)
            set -q options[1]; and __elysiactl_arguments $key (__elysiactl_slice $i $n $w)
        case sandbox completion
            __elysiactl_arguments $w[$i] (__elysiactl_slice (math $i + 1) $n $w)
    end
end

complete -c elysiactl -f -a '(__elysiactl_complete)'
