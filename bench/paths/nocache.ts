/** No cache: every read is the API's product query, every write one `UPDATE`. */
import { type BenchPathImpl, hooked, stateOf } from "./path";
import { dbOf, loadProduct, plainWrite } from "./plain-db";

/** See the module comment. */
export const nocachePath: BenchPathImpl = {
  async read({ config }, id, hooks) {
    const db = dbOf(config);
    const product = await hooked(() => loadProduct(db, id), hooks)();
    return { status: "db", product: stateOf(product) };
  },
  write: ({ config }, id, change) => plainWrite(dbOf(config), id, change),
};
