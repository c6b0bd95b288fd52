/* The feedback report's 打印 / Print button (/dash/report/<hospital>/<quarter>): the CSP allows no
 * inline handlers, so a click on any [data-qcp-print] element opens the browser's print dialog
 * (which also saves the report as PDF). Dash loads this file on its pages too, where it does nothing. */
document.addEventListener('click', function (event) {
    if (event.target.closest && event.target.closest('[data-qcp-print]')) {
        window.print();
    }
});
