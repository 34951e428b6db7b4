/** The two databases the hub speaks: a SQLite file for one commune, PostgreSQL for a province. */
export type Dialect = 'sqlite' | 'postgres';
