/** Where an application writes its lines: status and summary, and warnings and errors. */
export interface AppConsole {
  out(line: string): void;
  err(line: string): void;
}

/** The process's console: standard output and standard error. */
export const processConsole: AppConsole = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};
