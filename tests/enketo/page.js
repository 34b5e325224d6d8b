// The page Enketo's form engine runs in for tests/enketo.rs. The driver hands it the XForm papi
// served; enketo-transformer turns it into Enketo's HTML form and model in the browser, as an
// Enketo installation does, and enketo-core renders and runs it. The driver then fills the form
// through the page as a person would, and asks for the instance Enketo would submit.
import { transform } from 'enketo-transformer/web';
import { Form } from 'enketo-core';

let form = null;

window.papiEnketo = {
    /** Transforms and renders `xform`; resolves to Enketo's load errors (none expected). */
    async load(xform) {
        const result = await transform({ xform });
        const holder = document.getElementById('form');
        holder.innerHTML = result.form;
        const formEl = holder.querySelector('form.or');
        form = new Form(formEl, { modelStr: result.model }, { language: 'en' });
        const errors = form.init();
        return { errors, languages: Object.keys(result.languageMap || {}) };
    },

    /** Validates as Enketo does before a submission; resolves to whether the form is valid and, if
     * not, the names of the fields it marks invalid. */
    async validate() {
        const valid = await form.validate();
        const invalid = [...document.querySelectorAll('.invalid-required, .invalid-constraint, .invalid-relevant')]
            .map((q) => {
                const input = q.querySelector('[data-name], [name]');
                return input ? input.dataset.name || input.getAttribute('name') : q.className;
            });
        return { valid, invalid };
    },

    /** The instance XML Enketo submits: non-relevant answers left out. */
    data() {
        return form.getDataStr({ irrelevant: false });
    },

    /** The instanceID Enketo put in the instance's meta. */
    instanceId() {
        return form.instanceID;
    },
};
window.papiEnketoReady = true;
