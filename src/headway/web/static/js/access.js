// Who the caller is (GET /me) and what its role allows on a namespace, so that pages hide
// the actions it cannot use (the API refuses them anyway). Roles include the ones before
// them; a grant's namespace is a prefix, '' for every namespace.
import { get } from "./api.js";

const ROLES = ["viewer", "runner", "editor", "admin"];

let asked = null;

// The caller, read once (again after signing in or out: `forgetCaller`). When the server
// cannot tell (an error, not signed in yet), every action shows, for the API to refuse, and
// the next page asks again.
export function caller() {
  asked = asked || get("/me").catch(() => {
    asked = null;
    return { name: "", grants: [{ role: "admin", namespace: "" }] };
  });
  return asked;
}

export function forgetCaller() {
  asked = null;
}

function covers(prefix, namespace) {
  return prefix === "" || namespace === prefix || namespace.startsWith(`${prefix}.`);
}

// At least `role` on `namespace` (null: on some namespace).
export function allows(me, role, namespace = null) {
  const needed = ROLES.indexOf(role);
  return (me.grants || []).some((grant) => ROLES.indexOf(grant.role) >= needed &&
    (namespace === null || covers(grant.namespace, namespace)));
}

// What a page of this namespace may show, for the caller.
export async function permissions(namespace = null) {
  const me = await caller();
  return {
    run: allows(me, "runner", namespace),
    edit: allows(me, "editor", namespace),
  };
}
