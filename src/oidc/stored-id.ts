// The id a payload is stored under, for every store the adapter writes to. It is the one
// place where a token id may be keyed or hashed before it reaches the store at rest, so
// the PostgreSQL and Redis stores always agree on what a lookup by id means.

/** The stored form of `id`, a payload of model `model`. Today the id itself. */
export function storedId(_model: string, id: string): string {
  return id;
}
