"""The figure of a search: `larq_ber.assignment.figure.plot_assignment`."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from larq_ber.assignment import plot_assignment


def test_the_figure_draws_the_curve_the_path_and_the_answers(searched, tmp_path):
    answer, _ = searched
    figure = plot_assignment(answer)
    ax = figure.axes[0]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any("single point (every layer" in label for label in labels)
    assert any("greedy path" in label for label in labels)
    assert any("answer, verified (8 draws)" in label for label in labels)
    assert any("threshold: 1.5 below" in label for label in labels)
    single = [s for s in answer.steps if s.phase == "single"]
    annotations = [t.get_text() for t in ax.texts]
    assert annotations == [f"{s.bers[0]:g}" for s in single]
    assert f"{100 * answer.saving:.1f} % below" in ax.get_title()
    path = tmp_path / "assignment.png"
    figure.savefig(path, dpi=80)
    assert path.stat().st_size > 10_000
    plt.close(figure)


def test_it_draws_into_given_axes(searched):
    answer, _ = searched
    figure, ax = plt.subplots()
    assert plot_assignment(answer, ax=ax) is figure
    plt.close(figure)
