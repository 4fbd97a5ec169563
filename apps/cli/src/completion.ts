import type { Command } from 'commander';
import { UsageError } from './errors.ts';

/*
 * Completion scripts generated from the command tree itself, so a command or option added to
 * main.ts completes at once. They are static: a Tab press runs the shell's own function, never
 * chatq (whose start-up, with npx in front, would make every Tab wait).
 */

/** One command as the scripts need it: its path from the root, subcommands and options. */
interface Node {
  path: string;
  subcommands: { name: string; description: string }[];
  options: { flag: string; description: string }[];
}

function walk(command: Command, path = ''): Node[] {
  const subs = command.commands.map((c) => ({ name: c.name(), description: c.description() }));
  // Commander adds `help` and `--help` lazily, outside .commands and .options.
  if (path === '') subs.push({ name: 'help', description: 'show help for a command' });
  const options = [
    ...command.options.flatMap((o) => (o.long ? [{ flag: o.long, description: o.description }] : [])),
    { flag: '--help', description: 'show help' },
  ];
  return [{ path, subcommands: subs, options }, ...command.commands.flatMap((c) => walk(c, `${path} ${c.name()}`))];
}

/** Long options that take a value, wherever they appear: the word after one is never a command. */
function valueOptions(command: Command): string[] {
  const own = command.options.filter((o) => o.long && (o.required || o.optional)).map((o) => o.long!);
  return [...new Set([...own, ...command.commands.flatMap(valueOptions)])].sort();
}

const quoted = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function bash(program: Command): string {
  const nodes = walk(program);
  const values = ` ${valueOptions(program).join(' ')} `;
  const paths = nodes.filter((n) => n.path !== '').map((n) => `"${n.path}"`);
  const cases = nodes.map(
    (n) =>
      `    "${n.path}") subs=${quoted(n.subcommands.map((s) => s.name).join(' '))} ` +
      `opts=${quoted(n.options.map((o) => o.flag).join(' '))} ;;`,
  );
  return `# bash completion for chatq: eval "$(chatq completion bash)" in ~/.bashrc
_chatq() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd= w i subs opts
  local values=${quoted(values)}
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    [[ $values == *" \${COMP_WORDS[i-1]} "* ]] && continue
    case "$cmd $w" in
      ${paths.join('|')}) cmd="$cmd $w" ;;
    esac
  done
  COMPREPLY=()
  [[ $values == *" $prev "* ]] && return 0
  case "$cmd" in
${cases.join('\n')}
  esac
  if [[ $cur == -* || -z $subs ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  fi
}
complete -F _chatq chatq
`;
}

function zsh(program: Command): string {
  const nodes = walk(program);
  const values = ` ${valueOptions(program).join(' ')} `;
  const paths = nodes.filter((n) => n.path !== '').map((n) => `"${n.path}"`);
  const item = (name: string, description: string) => quoted(`${name.replaceAll(':', '\\:')}:${description}`);
  const cases = nodes.map(
    (n) =>
      `    ("${n.path}")\n` +
      `      subs=(${n.subcommands.map((s) => item(s.name, s.description)).join(' ')})\n` +
      `      opts=(${n.options.map((o) => item(o.flag, o.description)).join(' ')}) ;;`,
  );
  return `#compdef chatq
# zsh completion for chatq: eval "$(chatq completion zsh)" in ~/.zshrc (after compinit),
# or save it as _chatq in a directory of your $fpath
_chatq() {
  local cmd= w i
  local -a subs opts
  local values=${quoted(values)}
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    [[ $values == *" \${words[i-1]} "* ]] && continue
    case "$cmd $w" in
      (${paths.join('|')}) cmd="$cmd $w" ;;
    esac
  done
  if [[ $values == *" \${words[CURRENT-1]} "* ]]; then
    _message 'value'
    return
  fi
  case "$cmd" in
${cases.join('\n')}
  esac
  if [[ \${words[CURRENT]} == -* || \${#subs} -eq 0 ]]; then
    _describe -t options option opts
  else
    _describe -t commands command subs
  fi
}
if [[ \${funcstack[1]} == _chatq ]]; then
  _chatq "$@"
else
  compdef _chatq chatq
fi
`;
}

/** The completion script for `shell` (bash or zsh). */
export function completionScript(program: Command, shell: string): string {
  if (shell === 'bash') return bash(program);
  if (shell === 'zsh') return zsh(program);
  throw new UsageError(`no completion for ${shell}: use bash or zsh`);
}
