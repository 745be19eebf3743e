// A flow's triggers with their state: last and next dates, enable / disable, unlock, and
// backfills of schedules (start one with the flow's inputs; pause, resume or delete it).
import { enc, get, request } from "../api.js";
import { notify } from "../app.js";
import { h, formatDate, replace } from "../dom.js";
import { formDialog } from "./dialog.js";
import { inputsForm } from "./inputs-form.js";

// `may.edit`: the caller may change triggers (else no action is shown).
export function triggersPanel(flow, page, may = { edit: true }) {
  const box = h("div", { class: "triggers" }, h("p", { class: "muted" }, "Loading…"));
  const ref = (t) => ({ namespace: flow.namespace, flowId: flow.id, triggerId: t.triggerId });

  async function load() {
    const found = await get("/triggers/search", { namespace: flow.namespace, flowId: flow.id,
      size: 1000 });
    if (!page.alive()) return;
    const mine = found.results.filter((t) => t.triggerContext.namespace === flow.namespace);
    replace(box, mine.length ? h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Trigger", "Type", "Details", "Last", "Next", "State", ""]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, mine.map(row))) :
      h("p", { class: "empty" }, "This flow has no trigger."));
  }

  async function act(label, method, path, json) {
    try {
      await request(method, path, { json });
      notify(`${label}: done.`, "success");
    } catch (error) {
      notify(`${label} failed: ${error.message}`, "error");
    }
    await load().catch(() => {});
  }

  function row({ abstractTrigger: trigger, triggerContext: ctx }) {
    const type = String(trigger.type || "");
    const schedule = /Schedule$/.test(type);
    const backfill = ctx.backfill;
    return h("tr", { dataset: { trigger: ctx.triggerId } },
      h("td", { class: "mono" }, ctx.triggerId),
      h("td", { title: type }, type.split(".").pop()),
      h("td", { class: "mono" }, trigger.cron || trigger.key && "key: ••••" || ""),
      h("td", {}, formatDate(ctx.date)),
      h("td", {}, ctx.disabled ? "" : formatDate(ctx.nextExecutionDate)),
      h("td", {},
        h("span", { class: "tag" }, ctx.disabled ? "disabled" : "enabled"),
        backfill ? h("span", { class: "tag" }, `backfill${backfill.paused ? " paused" : ""} at ` +
          formatDate(backfill.currentDate)) : null),
      !may.edit ? h("td", {}) : h("td", { class: "actions" },
        h("button", { type: "button", class: "small", onClick: () =>
          act(ctx.disabled ? "Enable" : "Disable", "PUT", "/triggers",
            { ...ref(ctx), disabled: !ctx.disabled }) }, ctx.disabled ? "Enable" : "Disable"),
        ctx.evaluateRunningDate ? h("button", { type: "button", class: "small", onClick: () =>
          act("Unlock", "POST", `/triggers/${enc(flow.namespace)}/${enc(flow.id)}/` +
            `${enc(ctx.triggerId)}/unlock`) }, "Unlock") : null,
        schedule && !backfill ? h("button", { type: "button", class: "small",
          onClick: () => backfillDialog(ctx) }, "Backfill") : null,
        backfill ? [
          h("button", { type: "button", class: "small", onClick: () =>
            act(backfill.paused ? "Resume backfill" : "Pause backfill", "PUT",
              `/triggers/backfill/${backfill.paused ? "unpause" : "pause"}`, ref(ctx)) },
          backfill.paused ? "Resume backfill" : "Pause backfill"),
          h("button", { type: "button", class: "small", onClick: () =>
            act("Delete backfill", "POST", "/triggers/backfill/delete", ref(ctx)) },
          "Delete backfill"),
        ] : null));
  }

  function backfillDialog(ctx) {
    const start = h("input", { id: "backfill-start", type: "datetime-local", step: "1",
      required: true });
    const end = h("input", { id: "backfill-end", type: "datetime-local", step: "1" });
    const form = inputsForm(flow.inputs, { prefix: "backfill" });
    const problem = h("div", { class: "alert error", role: "alert", hidden: true });
    formDialog({
      title: `Backfill ${ctx.triggerId}`,
      body: h("div", {},
        h("p", { class: "muted" }, "One execution for each date the schedule would have " +
          "fired between start and end (now when empty)."),
        problem,
        h("div", { class: "field" }, h("label", { for: "backfill-start" }, "Start"), start),
        h("div", { class: "field" }, h("label", { for: "backfill-end" }, "End"), end),
        form.hasInputs ? [h("h3", {}, "Inputs"), form.element] : null),
      submitLabel: "Start backfill",
      onSubmit: async () => {
        const body = form.body();
        if (!start.value) {
          problem.hidden = false;
          replace(problem, "Start: choose the first date to backfill.");
          return false;
        }
        try {
          await request("PUT", "/triggers", { json: { ...ref(ctx), backfill: {
            start: new Date(start.value).toISOString(),
            end: end.value ? new Date(end.value).toISOString() : null,
            inputs: body.json || {},
          } } });
          notify("Backfill started.", "success");
          await load().catch(() => {});
          return true;
        } catch (error) {
          problem.hidden = false;
          replace(problem, error.message);
          return false;
        }
      },
    });
  }

  load().catch((error) => replace(box, h("div", { class: "alert error" }, error.message)));
  return box;
}
