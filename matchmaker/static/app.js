// Turns each phrase textarea into removable chips with suggestions from the event.
// Without JavaScript the textarea works as is: phrases separated by commas.
(function () {
  "use strict";
  function split(text) {
    var seen = {}, out = [];
    text.split(/[,;\n]+/).forEach(function (p) {
      p = p.trim();
      var key = p.toLowerCase();
      if (p && !seen[key]) { seen[key] = true; out.push(p); }
    });
    return out;
  }
  function enhance(area) {
    var listId = "suggest-" + area.dataset.suggest;
    var wrap = document.createElement("div");
    var chips = document.createElement("div");
    chips.className = "phrase-chips";
    chips.setAttribute("aria-live", "polite");
    var input = document.createElement("input");
    input.type = "text";
    input.className = "form-control";
    input.id = area.id + "-entry";
    if (document.getElementById(listId)) input.setAttribute("list", listId);
    input.setAttribute("aria-describedby", area.getAttribute("aria-describedby") || "");
    input.placeholder = "Type a phrase and press Enter";
    var label = document.querySelector('label[for="' + area.id + '"]');
    if (label) label.setAttribute("for", input.id);
    area.hidden = true;
    area.parentNode.insertBefore(wrap, area);
    wrap.appendChild(chips);
    wrap.appendChild(input);

    function render() {
      chips.innerHTML = "";
      split(area.value).forEach(function (phrase) {
        var chip = document.createElement("span");
        chip.className = "phrase-chip";
        chip.appendChild(document.createTextNode(phrase));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.setAttribute("aria-label", "Remove " + phrase);
        remove.textContent = "×";
        remove.addEventListener("click", function () {
          area.value = split(area.value).filter(function (p) { return p !== phrase; }).join(", ");
          render();
          input.focus();
        });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }
    function commit() {
      var added = split(input.value);
      if (!added.length) return false;
      area.value = split(area.value + "," + added.join(",")).join(", ");
      input.value = "";
      render();
      return true;
    }
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === ",") {
        if (commit() || e.key === "Enter") e.preventDefault();
      } else if (e.key === "Backspace" && !input.value) {
        var phrases = split(area.value);
        phrases.pop();
        area.value = phrases.join(", ");
        render();
      }
    });
    input.addEventListener("change", commit);
    area.form.addEventListener("submit", commit);
    render();
  }
  document.querySelectorAll("textarea[data-suggest]").forEach(enhance);
})();

// A background job's progress box (matching, auto-schedule): follow it live, then reload to
// show the result. Without JavaScript the page refreshes itself with a meta tag.
(function () {
  "use strict";
  var box = document.getElementById("run-status");
  if (!box) return;
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status === "running" || s.status === "queued") {
          var pct = Math.round(s.progress * 100);
          document.getElementById("run-bar").style.width = pct + "%";
          box.querySelector(".progress").setAttribute("aria-valuenow", pct);
          document.getElementById("run-message").textContent = s.message;
          setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();

// Matching settings: the role matrix matters only for the "Custom" rule, so show it only
// then. Without JavaScript the matrix stays visible and says when it is used.
(function () {
  "use strict";
  var matrix = document.getElementById("custom-rules");
  var choices = document.querySelectorAll('input[name="role_preset"]');
  if (!matrix || !choices.length) return;
  function update() {
    var chosen = document.querySelector('input[name="role_preset"]:checked');
    matrix.hidden = !chosen || chosen.value !== "custom";
  }
  choices.forEach(function (choice) { choice.addEventListener("change", update); });
  update();
})();

// Back from answering a suggestion, the page opens at that card: the notice about the
// answer moves from the top of the page to just above the card, where the person looks.
(function () {
  "use strict";
  var id = decodeURIComponent(location.hash.slice(1));
  var target = id && document.getElementById(id);
  var card = target && target.closest("article");
  var notes = document.querySelectorAll("main > .alert[role=status]");
  if (!card || !notes.length) return;
  notes.forEach(function (note) {
    note.classList.add("m-2", "mb-0");
    card.insertBefore(note, card.firstChild);
  });
  card.scrollIntoView({ block: "start" });
})();
