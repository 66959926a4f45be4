# The walker: the words before the cursor are read past elysiactl's own flags to a mode
# (col, collection, sandbox, completion), then to a command and its arguments; the word
# under the cursor is completed from the tables above.

_elysiactl_has() {  # $1: space-separated words, $2: a word; whether $2 is among them
    [[ " $1 " == *" $2 "* ]]
}

_elysiactl_reply() {  # $1: space-separated candidates, $2: what is typed so far
    local IFS=$' \t\n'
    COMPREPLY+=($(compgen -W "$1" -- "$2"))
}

# The value of one slot: "KEY --option" or "KEY #N". $2: what is typed so far; $3: what
# goes before each candidate (--option= when bash did not break the word at "=").
_elysiactl_value() {
    local before=${#COMPREPLY[@]} i
    if [[ -n ${_elysiactl_choices[$1]+set} ]]; then
        _elysiactl_reply "${_elysiactl_choices[$1]}" "$2"
    else
        case ${_elysiactl_sources[$1]} in
            files)
                compopt -o filenames 2>/dev/null
                local IFS=$'\n'
                COMPREPLY+=($(compgen -f -- "$2")) ;;
            commands) _elysiactl_reply "$_elysiactl_heads" "$2" ;;
            collections | profiles)
                local IFS=$'\n'
                COMPREPLY+=($(compgen -W "$(_elysiactl_names "${_elysiactl_sources[$1]}")" \
                    -- "$2")) ;;
        esac
    fi
    for ((i = before; i < ${#COMPREPLY[@]}; i++)); do
        COMPREPLY[i]=$3${COMPREPLY[i]}
    done
}

# Collection or profile names ($1), asked of elysiactl itself with the flags typed before
# the command (--url, --profile, ...); it answers within a second, and quietly.
_elysiactl_names() {
    "${COMP_WORDS[0]}" __complete "$1" "${words[@]:0:flags}" 2>/dev/null
}

# The arguments of command $1 from words[$2] on: an option's value, an option, or the
# positional argument the cursor stands at.
_elysiactl_arguments() {
    local key=$1 i=$2 word pos=0 max
    while ((i < n)); do
        word=${words[i]}
        ((i++))
        if _elysiactl_has "${_elysiactl_takes[$key]}" "$word"; then
            if ((i == n)); then
                _elysiactl_value "$key $word" "$cur" ""
                return
            fi
            ((i++))
        elif [[ $word != -* ]]; then
            ((pos++))
        fi
    done
    if [[ $cur == --*=* ]]; then
        local prefix=""
        [[ $COMP_WORDBREAKS == *=* ]] || prefix=${cur%%=*}=
        _elysiactl_value "$key ${cur%%=*}" "${cur#*=}" "$prefix"
    elif [[ $cur == -* ]]; then
        _elysiactl_reply "${_elysiactl_opts[$key]}" "$cur"
    else
        max=${_elysiactl_args[$key]}
        [[ -n $max ]] || return
        ((pos++))
        if [[ $max == *+ ]]; then
            max=${max%+}
            ((pos > max)) && pos=$max
        fi
        ((pos <= max)) && _elysiactl_value "$key #$pos" "$cur" ""
    fi
}

_elysiactl() {
    local -a words=()
    local i word cur n key flags
    COMPREPLY=()
    # Join again what bash broke at "=": --format=json is one word here.
    for ((i = 1; i <= COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if ((${#words[@]})) && [[ $word == = || ${words[-1]} == *= ]]; then
            words[-1]+=$word
        else
            words+=("$word")
        fi
    done
    cur=${words[-1]}
    unset 'words[-1]'
    n=${#words[@]}
    i=0
    while ((i < n)) && [[ ${words[i]} == -* ]]; do  # elysiactl's own flags
        _elysiactl_has "${_elysiactl_takes[elysiactl]}" "${words[i]}" && ((i++))
        ((i++))
    done
    flags=$i
    if ((i >= n)); then
        _elysiactl_arguments elysiactl 0
        return
    fi
    case ${words[i]} in
        col | collection)
            ((i++))
            if ((i == n)); then
                if [[ $cur == -* ]]; then
                    _elysiactl_reply "--help" "$cur"
                else
                    _elysiactl_reply "$_elysiactl_heads" "$cur"
                fi
                return
            fi
            key=${words[i]}
            ((i++))
            if [[ -n ${_elysiactl_subs[$key]} ]]; then
                if ((i < n)) && _elysiactl_has "${_elysiactl_subs[$key]}" "${words[i]}"; then
                    key+=" ${words[i]}"
                    ((i++))
                elif ((i == n)) && [[ $cur != -* ]]; then
                    _elysiactl_reply "${_elysiactl_subs[$key]}" "$cur"
                fi
            fi
            [[ -n ${_elysiactl_opts[$key]+set} ]] && _elysiactl_arguments "$key" "$i" ;;
        sandbox | completion)
            _elysiactl_arguments "${words[i]}" $((i + 1)) ;;
    esac
}

complete -F _elysiactl elysiactl
