// Keep displayed equations and table cells whole inside the content column (fit.css does the rest).
// 1. A displayed equation wider than the column is shrunk, down to 65% of its size, so that on a narrow screen
//    the whole formula shows; one still too wide scrolls inside its own box (fit.css).
// 2. In tables, a word with a hyphen (1.26e-09, adam-warmup, --epochs) never breaks at it: browsers may break
//    there, and a number, option or name cut in two reads as two. Cells still wrap at spaces.
(function () {
  "use strict";
  var SMALLEST = 0.65;

  function fitEquations() {
    document.querySelectorAll('.bd-article mjx-container[display="true"]').forEach(function (box) {
      box.style.fontSize = "";
      var need = box.scrollWidth, have = box.clientWidth;
      if (need > have + 1 && have > 0) {
        var scale = Math.max(SMALLEST, Math.floor((have / need) * 100) / 100);
        box.style.fontSize = Math.round(scale * 100) + "%";
      }
    });
  }

  function keepHyphenatedWords() {
    var token = /\S*-\S*/g;
    document.querySelectorAll(".bd-article td, .bd-article th").forEach(function (cell) {
      var walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT), nodes = [];
      while (walker.nextNode()) nodes.push(walker.currentNode);
      nodes.forEach(function (node) {
        var text = node.nodeValue;
        if (!token.test(text) || node.parentElement.classList.contains("nobreak")) return;
        token.lastIndex = 0;
        var out = document.createDocumentFragment(), last = 0, match;
        while ((match = token.exec(text)) !== null) {
          out.appendChild(document.createTextNode(text.slice(last, match.index)));
          var span = document.createElement("span");
          span.className = "nobreak";
          span.textContent = match[0];
          out.appendChild(span);
          last = match.index + match[0].length;
        }
        out.appendChild(document.createTextNode(text.slice(last)));
        node.parentNode.replaceChild(out, node);
      });
    });
  }

  function whenTypeset() {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(fitEquations);
    } else if (document.querySelector(".math, mjx-container")) {
      setTimeout(whenTypeset, 200);
    }
  }

  window.addEventListener("DOMContentLoaded", keepHyphenatedWords);
  window.addEventListener("load", whenTypeset);
  var pending;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(fitEquations, 150);
  });
})();
