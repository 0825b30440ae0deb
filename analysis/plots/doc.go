// Package plots writes the figures and Markdown tables of a D-SPIB results
// folder: two-dimensional free-energy surfaces in the latent space, panels of
// such surfaces on a common colour scale, one-dimensional free-energy profiles,
// training-loss curves and grouped bar charts.
//
// Inputs are plain slices and row-major grids, so the package depends on
// neither the learner nor the MD engine. Free energies are in units of kT
// (F = −ln p, shifted so that min F = 0, the convention of SPIB, Wang &
// Tiwary, J. Chem. Phys. 154, 134111 (2021), and of D-SPIB, John, Qiu,
// Herron & Tiwary, arXiv:2510.09784 (2025)), and the latent coordinates
// are labelled z1, z2.
//
// Every figure is rendered in memory with gonum.org/v1/plot, then written as a
// PNG at DPI dots per inch through internal/atomicfile (a temporary file in the
// target directory, fsynced and renamed over the target), so a results
// folder never holds a half-written image, and no temporary file survives an error. A single panel
// is PanelWidth × PanelHeight; legends and colour bars sit in a strip to the
// right of the panels so that they never hide data. Colours come from the
// deterministic cycle Color (matplotlib's "tab10") and the perceptually
// ordered map used for free energies never reaches white, which is reserved for
// empty bins.
package plots
