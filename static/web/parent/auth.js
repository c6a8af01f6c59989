// Log in and register (one form at a time, so every label is unique on the page).
import { announce, clearError, h, setBusy } from "/web/common/ui.js";

function field(id, label, attrs = {}) {
  return [h("label", { for: id }, label), h("input", { id, name: id, required: true, ...attrs })];
}

export function renderAuth(ctx, root) {
  let mode = "login";

  function draw() {
    root.replaceChildren(mode === "login" ? loginForm() : registerForm());
    const first = root.querySelector("input");
    if (first) first.focus();
  }

  function loginForm() {
    const form = h("form", { class: "card stack", "aria-labelledby": "login-title" },
      h("h2", { id: "login-title" }, "Log in"),
      ...field("username", "Username", { autocomplete: "username", autocapitalize: "none" }),
      ...field("password", "Password", { type: "password", autocomplete: "current-password" }),
      h("div", { class: "row" },
        h("button", { type: "submit" }, "Log in"),
        h("button", { type: "button", class: "secondary", onclick: () => { mode = "register"; clearError(); draw(); } },
          "New here? Register")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      setBusy(button, true);
      clearError();
      try {
        const login = await ctx.api.post("/login", { username: form.username.value.trim(), password: form.password.value });
        await ctx.loggedIn(login);
        announce(`Welcome, ${login.nickname}!`, "ok");
      } catch (err) {
        announce(err.message, "error");
        setBusy(button, false);
      }
    });
    return form;
  }

  function registerForm() {
    const form = h("form", { class: "card stack", "aria-labelledby": "register-title" },
      h("h2", { id: "register-title" }, "Create an account"),
      ...field("username", "Username", { autocomplete: "username", autocapitalize: "none", maxlength: 64 }),
      ...field("password", "Password", { type: "password", autocomplete: "new-password",
        "aria-describedby": "password-hint" }),
      h("p", { class: "hint", id: "password-hint" }, "At least 6 characters."),
      ...field("nickname", "Nickname (what your family calls you)", { autocomplete: "nickname", maxlength: 64 }),
      h("label", { for: "gender" }, "I am"),
      h("select", { id: "gender", name: "gender" },
        h("option", { value: "1" }, "Mum (or another carer)"), h("option", { value: "2" }, "Dad (or another carer)")),
      h("div", { class: "row" },
        h("button", { type: "submit" }, "Register"),
        h("button", { type: "button", class: "secondary", onclick: () => { mode = "login"; clearError(); draw(); } },
          "I already have an account")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      const fields = { username: form.username.value.trim(), password: form.password.value,
        nickname: form.nickname.value.trim(), gender: form.gender.value };
      if (fields.password.length < 6) {
        announce("The password needs at least 6 characters.", "error");
        form.password.focus();
        return;
      }
      setBusy(button, true);
      clearError();
      try {
        await ctx.api.post("/reg", fields);
        const login = await ctx.api.post("/login", { username: fields.username, password: fields.password });
        await ctx.loggedIn(login);
        announce(`Welcome, ${login.nickname}! Bind your first toy.`, "ok");
        ctx.go("#/bind");
      } catch (err) {
        setBusy(button, false);
        if (err.status === 409) {
          announce(`The username "${fields.username}" is taken. Choose another one, or log in if it is yours.`, "error");
          form.username.focus();
          form.username.select();
        } else {
          announce(err.message, "error");
        }
      }
    });
    return form;
  }

  draw();
  return { dispose() {} };
}
