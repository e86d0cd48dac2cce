import type { OptionSpec } from './command-line-options.js';

const HELP_WIDTH = 100;

/**
 * The help text of a command line: the `intro` lines (usage and what the application does),
 * then one row per option, its description wrapped from `column` on, with its environment
 * variable in brackets, and a note on durations.
 */
export function formatHelp(
  intro: readonly string[],
  options: readonly OptionSpec[],
  column: number,
): string {
  const rows = options.flatMap((option) => {
    const left = `  ${option.flag === 'help' ? '-h, ' : ''}--${option.flag}${option.value === undefined ? '' : ` ${option.value}`}`;
    const text =
      option.env === undefined ? option.description : `${option.description} [${option.env}]`;
    return wrap(text, HELP_WIDTH - column).map(
      (line, index) => `${(index === 0 ? left : '').padEnd(column)}${line}`,
    );
  });
  return [
    ...intro,
    '',
    'Options (the environment variable in brackets sets the same; the flag wins):',
    ...rows,
    '',
    'Durations: a number with a unit, such as 500ms, 10s, 2m or 1h (a bare number means seconds).',
  ].join('\n');
}

/** `text` in lines of at most `width` characters, broken at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
