/* Accessibility repairs of Dash 4's own components (GB/T 37668-2019 / WCAG 2.1 AA, checked by axe-core
 * in tests/dash/test_accessibility.py). Dash renders them; this only corrects attributes after each
 * render, so nothing about how the components behave changes.
 *  - dcc.Checklist / RadioItems render role=listbox with role=option labels that hold a real checkbox:
 *    an interactive control nested in an option, and a listbox without a name. Native checkboxes
 *    already say what they are: drop the listbox/option roles (the list becomes a plain group).
 *  - dcc.Upload's file input has no label: it takes the drop zone's own words as its name.
 *  - dcc.Dropdown keeps a focusable input marked aria-hidden as its focus target: take it out of the
 *    tab order (the dropdown's own button stays the keyboard's way in).
 */
(function () {
    function repair(root) {
        root.querySelectorAll('.dash-options-list[role="listbox"]').forEach(function (list) {
            // a dropdown's open menu is a real listbox (arrow keys move through its options): keep it
            if (list.closest('.dash-dropdown-content, .dash-dropdown-options')) { return; }
            if (list.querySelector('input[type="checkbox"], input[type="radio"]')) {
                list.setAttribute('role', 'group');
                list.querySelectorAll('.dash-options-list-option[role="option"]').forEach(function (option) {
                    option.removeAttribute('role');
                    option.removeAttribute('aria-selected');
                });
            }
        });
        root.querySelectorAll('input[type="file"]:not([aria-label])').forEach(function (input) {
            var zone = input.parentElement;
            var words = zone ? zone.innerText.trim() : '';
            if (words) { input.setAttribute('aria-label', words); }
        });
        root.querySelectorAll('input[aria-hidden="true"]:not([tabindex="-1"])').forEach(function (input) {
            input.setAttribute('tabindex', '-1');
        });
    }
    var queued = false;
    new MutationObserver(function () {
        if (queued) { return; }
        queued = true;
        window.requestAnimationFrame(function () { queued = false; repair(document); });
    }).observe(document.documentElement, {childList: true, subtree: true, attributes: true,
                                           attributeFilter: ['role', 'aria-hidden']});
    document.addEventListener('DOMContentLoaded', function () { repair(document); });
})();
