// The quiz page (site/quiz.md): check answers in the browser. No server, nothing stored.
// Each question is a <form data-answer="0,2"> inside a .kmslab-quiz-q box (see kmslab_quiz.py).
(function () {
  "use strict";

  function letters(indexes) {
    return indexes.map(function (i) { return String.fromCharCode(65 + i); }).join(", ");
  }

  function picked(form) {
    return Array.prototype.map.call(form.querySelectorAll("input:checked"), function (input) {
      return Number(input.value);
    });
  }

  function updateScore() {
    var score = document.querySelector(".kmslab-quiz-score");
    if (!score) { return; }
    var all = document.querySelectorAll(".kmslab-quiz-q").length;
    var right = document.querySelectorAll(".kmslab-quiz-q.is-right").length;
    score.textContent = "Answered right: " + right + " of " + all + ".";
  }

  function setUp(box) {
    var form = box.querySelector("form.kmslab-quiz-form");
    var answer = form.dataset.answer.split(",").map(Number);
    var verdict = form.querySelector(".kmslab-quiz-verdict");
    var items = form.querySelectorAll(".kmslab-quiz-choices li");

    function clear() {
      box.classList.remove("is-right", "is-wrong");
      Array.prototype.forEach.call(items, function (li) {
        li.classList.remove("is-picked-right", "is-picked-wrong", "is-answer");
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clear();
      var chosen = picked(form);
      var need = answer.length === 1 ? "one answer" : answer.length + " answers";
      if (chosen.length !== answer.length) {
        verdict.textContent = (chosen.length ? "This question wants " : "Pick ") + need + ", then press Check.";
        updateScore();
        return;
      }
      var right = chosen.every(function (i) { return answer.indexOf(i) >= 0; });
      chosen.forEach(function (i) {
        items[i].classList.add(answer.indexOf(i) >= 0 ? "is-picked-right" : "is-picked-wrong");
      });
      box.classList.add("is-tried", right ? "is-right" : "is-wrong");
      if (right) {
        box.classList.add("is-solved");
        verdict.textContent = "Right: " + letters(chosen) + ".";
      } else {
        verdict.textContent = "Wrong: " + letters(chosen) + " is not it. Try again, read the lesson " +
          "section below, or show the answer.";
      }
      updateScore();
    });

    form.querySelector(".kmslab-quiz-reveal").addEventListener("click", function () {
      clear();
      answer.forEach(function (i) { items[i].classList.add("is-answer"); });
      box.classList.add("is-tried", "is-solved");
      verdict.textContent = "The answer: " + letters(answer) + ".";
      updateScore();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".kmslab-quiz-q"), setUp);
    updateScore();
  });
})();
