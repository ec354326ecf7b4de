"""Hooks (pilar/lib/hooks.py): the answers of every receiver but the silent ones, and panels in
their order whatever order the apps connected in."""

from django.dispatch import Signal

from pilar.lib.hooks import Panel, answers, panels


def test_answers_leave_out_receivers_with_nothing_to_say():
    signal = Signal()

    def silent(sender, **kwargs):
        return None

    def speaks(sender, *, name, **kwargs):
        return f"hello {name}"

    signal.connect(silent, weak=False)
    signal.connect(speaks, weak=False)
    assert answers(signal, name="Siti") == ["hello Siti"]


def test_panels_come_in_their_order_not_the_order_of_connecting():
    signal = Signal()

    def later(sender, **kwargs):
        return Panel("b.html", {"x": 1}, order=20)

    def earlier(sender, **kwargs):
        return Panel("a.html", order=10)

    signal.connect(later, weak=False)
    signal.connect(earlier, weak=False)
    assert [p.template for p in panels(signal)] == ["a.html", "b.html"]
    assert panels(Signal()) == []
