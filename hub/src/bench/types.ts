/** One benchmark of `khoa bench`. Each lives in its own file in this folder and is listed in index.ts. */
export interface Bench {
  /** `khoa bench <name>` runs only this one. */
  name: string;
  summary: string;
  /** Runs the benchmark and resolves to its JSON-serialisable figures. Progress goes to stderr only. */
  run(opts: { quick: boolean }): Promise<Record<string, unknown>>;
}
