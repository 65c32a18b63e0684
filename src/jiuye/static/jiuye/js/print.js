// A button marked data-print prints the page (the public job board's 打印). A file, not an
// inline onclick: the content security policy allows scripts from 'self' only.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
