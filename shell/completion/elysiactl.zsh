# The walker: the words before the cursor are read past elysiactl's own flags to a mode
# (col, collection, sandbox, completion), then to a command and its arguments; the word
# under the cursor is completed from the tables above, with their descriptions.

_elysiactl_describe() {  # $1: tag, $2: lines "word:description"
    local -a items
    items=("${(@f)2}")
    (( ${#items} )) && _describe -t $1 $1 items
}

_elysiactl_value() {  # $1: a slot, "KEY --option" or "KEY #N"
    if (( ${+_elysiactl_choices[$1]} )); then
        _elysiactl_describe values "${_elysiactl_choices[$1]}"
    else
        case ${_elysiactl_sources[$1]} in
            files) _files ;;
            commands) _elysiactl_describe commands "$_elysiactl_heads" ;;
            collections|profiles)
                # asked of elysiactl itself with the flags typed before the command (--url,
                # --profile, ...); it answers within a second, and quietly
                local -a names
                names=(${(f)"$(${words[1]} __complete ${_elysiactl_sources[$1]} \
                    "${(@)w[1,flags]}" 2>/dev/null)"})
                compadd -a names ;;
        esac
    fi
}

# The arguments of command $1 from w[$2] on (w, n and cur are _elysiactl's): an option's
# value, an option, or the positional argument the cursor stands at.
_elysiactl_arguments() {
    local key=$1 i=$2 word pos=0 max
    local -a takes
    takes=(${=_elysiactl_takes[$key]})
    while (( i <= n )); do
        word=${w[i]}
        (( i++ ))
        if (( ${takes[(Ie)$word]} )); then
            if (( i > n )); then
                _elysiactl_value "$key $word"
                return
            fi
            (( i++ ))
        elif [[ $word != -* ]]; then
            (( pos++ ))
        fi
    done
    if [[ $cur == --*=* ]]; then
        local option=${cur%%=*}
        compset -P '*='
        _elysiactl_value "$key $option"
    elif [[ $cur == -* ]]; then
        _elysiactl_describe options "${_elysiactl_opts[$key]}"
    else
        max=${_elysiactl_args[$key]}
        [[ -n $max ]] || return 1
        (( pos++ ))
        if [[ $max == *+ ]]; then
            max=${max%+}
            (( pos > max )) && pos=$max
        fi
        (( pos <= max )) && _elysiactl_value "$key #$pos"
    fi
}

_elysiactl() {
    local -a w toptakes subs
    local cur=${words[CURRENT]} n i=1 key flags
    w=("${(@)words[2,CURRENT-1]}")
    n=${#w}
    toptakes=(${=_elysiactl_takes[elysiactl]})
    while (( i <= n )) && [[ ${w[i]} == -* ]]; do  # elysiactl's own flags
        (( ${toptakes[(Ie)${w[i]}]} )) && (( i++ ))
        (( i++ ))
    done
    flags=$(( i - 1 ))
    if (( i > n )); then
        _elysiactl_arguments elysiactl 1
        return
    fi
    case ${w[i]} in
        col|collection)
            (( i++ ))
            if (( i > n )); then
                if [[ $cur == -* ]]; then
                    compadd -- --help
                else
                    _elysiactl_describe commands "$_elysiactl_heads"
                fi
                return
            fi
            key=${w[i]}
            (( i++ ))
            if (( ${+_elysiactl_subs[$key]} )); then
                subs=(${${(f)_elysiactl_subs[$key]}%%:*})
                if (( i <= n )) && (( ${subs[(Ie)${w[i]}]} )); then
                    key+=" ${w[i]}"
                    (( i++ ))
                elif (( i > n )) && [[ $cur != -* ]]; then
                    _elysiactl_describe subcommands "${_elysiactl_subs[$key]}"
                fi
            fi
            (( ${+_elysiactl_opts[$key]} )) && _elysiactl_arguments "$key" $i ;;
        sandbox|completion)
            _elysiactl_arguments "${w[i]}" $(( i + 1 )) ;;
    esac
}

# Autoloaded from $fpath (as _elysiactl) this file is the completion function's body: run it;
# sourced, register it.
if [[ ${funcstack[1]} == _elysiactl ]]; then
    _elysiactl "$@"
else
    compdef _elysiactl elysiactl
fi
