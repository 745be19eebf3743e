// The Execute dialog: a form generated from the flow's inputs; the API checks the values
// and its message is shown in the form; on success, the new execution's page opens.
import { enc, request } from "../api.js";
import { navigate } from "../app.js";
import { h } from "../dom.js";
import { formDialog } from "./dialog.js";
import { inputsForm } from "./inputs-form.js";

export function openExecuteDialog(flow) {
  const form = inputsForm(flow.inputs, { prefix: "exec" });
  const labels = h("input", { id: "exec-labels", name: "labels", type: "text",
    placeholder: "team:ops, env:dev" });
  const body = h("div", {},
    h("p", { class: "muted" }, `${flow.namespace}.${flow.id}, revision ${flow.revision}`),
    form.element,
    h("div", { class: "field" }, h("label", { for: "exec-labels" }, "Labels"), labels,
      h("span", { class: "hint" }, "key:value pairs separated by commas")));
  formDialog({
    title: `Execute ${flow.id}`,
    body,
    submitLabel: "Execute",
    className: "execute-dialog",
    onSubmit: async () => {
      form.clearErrors();
      const query = {
        labels: labels.value.split(",").map((s) => s.trim()).filter(Boolean),
      };
      try {
        const execution = await request("POST",
          `/executions/${enc(flow.namespace)}/${enc(flow.id)}`, { ...form.body(), query });
        navigate(`/executions/${enc(execution.id)}`);
        return true;
      } catch (error) {
        form.showError(error);
        return false;
      }
    },
  });
}
