"""Technology nodes 130 nm … 7 nm: supply, transistor geometry and drive, wire parameters — each with its source.

The layout geometry (gate length, logic transistor widths or fin counts, fin dimensions, standard-cell width and
height) is Table 1 of Lu et al. 2021 (NeuroSim validation paper), bulk at 130–22 nm and FinFET at 14/10/7 nm.
Electrical parameters the paper does not print are taken from public predictive models and published process
disclosures, rounded, and marked in :data:`SOURCES`; they are representative of a low-power logic flavour, not of
a foundry PDK, and carry roughly ±30 % (drive) and ±50 % (leakage) uncertainty.

Derived quantities (all SI):

- gate capacitance per unit electrical width  ``c_gate = ε_ox·L_g/(EOT + 0.4 nm) + c_overlap``  (the 0.4 nm adds
  the inversion-layer and gate depletion thickness to the equivalent oxide thickness);
- diffusion capacitance per width ``c_drain = c_gate`` (the logical-effort convention p_inv = 1, Weste & Harris,
  *CMOS VLSI Design*, 4th ed., §4.3);
- effective switching resistance ``R_eq = k·V_DD/(I_on·W)``: k = ¾ (Rabaey, *Digital Integrated Circuits*, 2nd
  ed., eq. 3.43, channel-length modulation neglected) on the default card; the ``roadmap="lstp"`` card carries the
  PTM low-power (LSTP) on-currents, supply and CACTI's effective-resistance multiplier k that DNN+NeuroSim V1.3
  runs with (Technology.cpp, formula.cpp CalculateOnResistance), see :data:`LSTP`;
- wire resistance per length ``ρ_eff/(w·t)`` with ``w = pitch/2``, ``t = 2w`` and the thin-wire size effect
  ``ρ_eff = ρ_Cu·(1 + ⅜·λ·(1/w + 1/t))`` (Fuchs–Sondheimer limit for diffuse surfaces, λ = 39 nm in Cu);
- Pelgrom mismatch coefficient ``A_VT ≈ 1 mV·µm per nm`` of (EOT + 0.4 nm) (Tuinhout; Kuhn, IEEE TED 2011).

Half nodes (40, 28, 20, 16, 12 nm) are optical shrinks of the next larger full node: lengths scaled by F/F_parent,
per-width electrical parameters and the supply kept. ``technology(40)`` is 45 nm × 40/45, which gives the 0.3404 µm²
inverter the paper's Table 5 implies for its 40 nm macro.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from neurofab.core import Config, ConfigError, UnknownNameError

EPS_OX = 3.9 * 8.8541878128e-12  # SiO2 permittivity [F/m]
RHO_CU = 1.72e-8  # bulk copper resistivity at room temperature [Ω·m]
LAMBDA_CU = 39e-9  # electron mean free path in copper [m]
CAP_OVERLAP = 0.25e-9  # gate overlap + outer fringe capacitance, both sides [F/m] (0.25 fF/µm)
INVERSION_THICKNESS = 0.4e-9  # inversion layer + poly depletion added to EOT [m]
PELGROM_PER_NM = 1e-3 * 1e-6 / 1e-9  # A_VT per metre of electrical oxide thickness [V·m/m]

SOURCES: dict[str, str] = {
    "gate_length": "Lu et al. 2021, Table 1",
    "nmos_width": "Lu et al. 2021, Table 1 (bulk: width; FinFET: #fins × (2·H_fin + W_fin))",
    "pmos_width": "Lu et al. 2021, Table 1",
    "fins": "Lu et al. 2021, Table 1 (#fin per logic transistor, the most that fit one standard cell)",
    "fin_pitch": "Lu et al. 2021, Table 1",
    "fin_height": "Lu et al. 2021, Table 1",
    "fin_width": "Lu et al. 2021, Table 1",
    "cell_width": "Lu et al. 2021, Table 1 (standard-cell layout width of an inverter)",
    "cell_height": "Lu et al. 2021, Table 1 (standard-cell layout height)",
    "vdd": "PTM nominal supply: bulk model cards 130–22 nm (e.g. 22 nm HP card 'nominal Vdd = 0.8V'), "
    "PTM-MG 14/10/7 nm",
    "eot": "PTM model-card toxe (130–65 nm SiON, 45–22 nm high-k metal gate; 22 nm card toxe = 1.05 nm); "
    "14/10/7 nm: ITRS-2011 multi-gate EOT trend targeted by PTM-MG",
    "i_on_n": "representative low-power logic flavour (ITRS PIDS LOP/LSTP trend 0.5–1 mA/µm), rounded, ±30 %",
    "i_on_p": "NMOS × 0.5 (unstrained bulk), × 0.6 (strained bulk 45–22 nm), × 0.9 (FinFET); textbook ratios",
    "i_off": "0.1 nA/µm of electrical width: the PTM-MG LSTP target (header of the PTM-MG 2011 cards: "
    "'LSTP nodes target Ioff = 0.1 nA/um where Weff = 2*fin_height+fin_width'), used at every node, ±50 %",
    "r_eff_factor": "k of R_eq = k·V_DD/(I_on·W): 3/4 (Rabaey eq. 3.43) on the default card; LSTP card: CACTI's "
    "effectiveResistanceMultiplier for the PTM LP cards as DNN+NeuroSim V1.3 Technology.cpp lists it (1.77 at "
    "22 nm, 1.76 at 14 nm, 1.73 at 10 and 7 nm)",
    "lstp": "PTM low-power model cards (22nm_LP.pm; 14/10/7nfet_LP.pm, 14/10/7pfet_LP.pm, ptm.asu.edu) at 300 K "
    "as DNN+NeuroSim V1.3 Technology.cpp tabulates them (its default deviceroadmap = 2, LSTP): I_on,n / I_on,p "
    "791.9 / 600.2 µA/µm (22 nm), 893 / 820 (14 nm), 862 / 775 (10 nm), 822 / 737 (7 nm); I_off 100 pA/µm "
    "(= the default card's 0.1 nA/µm); V_DD 0.85 V at 22 nm (the default card: 0.8 V), 0.8 / 0.75 / 0.7 V at "
    "14 / 10 / 7 nm (as the default card)",
    "wire_pitch": "published first-metal pitches of leading logic processes (IEDM disclosures), rounded",
    "wire_capacitance": "0.2 fF/µm: the nearly node-independent on-chip wire capacitance (Weste & Harris §6.2)",
    "sram_6t_area": "published high-density 6T bit cells: 130 nm 2.45, 90 nm 1.0, 65 nm 0.57, 45 nm 0.346, "
    "32 nm 0.171, 22 nm 0.092, 14 nm 0.0588, 10 nm 0.0312 µm² (Intel IEDM/ISSCC), 7 nm 0.027 µm² (TSMC N7)",
    "sram_8t_factor": "8T (decoupled read port) ≈ 1.3 × the 6T cell (published 8T cells are 1.2–1.4×)",
    "bitcell_width": "SRAM bit-cell transistors: one fin at FinFET nodes (high-density 1-1-1 cells, e.g. TSMC N7 "
    "0.027 µm²); 2·F at bulk nodes (NeuroSim V1.3 default SRAM sizing widthSRAMCellNMOS = 2 F, a published "
    "default, not a measurement)",
}


class Technology(Config):
    """One CMOS technology node. Lengths in metres, currents per metre of electrical width [A/m]."""

    name: str = Field(description="label, e.g. '22nm-bulk'")
    feature_size: float = Field(gt=0, description="node name F [m]")
    device: Literal["bulk", "finfet"] = Field(description="transistor structure")
    vdd: float = Field(gt=0, le=5, description="logic supply voltage [V]")
    gate_length: float = Field(gt=0, description="physical gate length [m]")
    nmos_width: float = Field(gt=0, description="electrical width of a logic NMOS [m]")
    pmos_width: float = Field(gt=0, description="electrical width of a logic PMOS [m]")
    fins_nmos: int = Field(ge=0, description="fins of a logic NMOS (0 for bulk)")
    fins_pmos: int = Field(ge=0, description="fins of a logic PMOS (0 for bulk)")
    fin_pitch: float = Field(ge=0, description="fin pitch [m] (0 for bulk)")
    fin_height: float = Field(ge=0, description="fin height [m] (0 for bulk)")
    fin_width: float = Field(ge=0, description="fin width [m] (0 for bulk)")
    cell_width: float = Field(gt=0, description="standard-cell width of an inverter [m]")
    cell_height: float = Field(gt=0, description="standard-cell height [m]")
    eot: float = Field(gt=0, description="equivalent oxide thickness [m]")
    i_on_n: float = Field(gt=0, description="NMOS saturation current per electrical width at V_DD [A/m]")
    i_on_p: float = Field(gt=0, description="PMOS saturation current per electrical width at V_DD [A/m]")
    i_off: float = Field(gt=0, description="off-state leakage per electrical width at V_DD, N and P [A/m]")
    r_eff_factor: float = Field(0.75, gt=0, le=5, description="k of the effective switching resistance "
                                "R_eq = k·V_DD/(I_on·W) [1]")
    roadmap: Literal["lop", "lstp"] = Field("lop", description="transistor flavour of the drive: 'lop' (the "
                                            "table's representative low-power card) or 'lstp' (the PTM LP cards "
                                            "DNN+NeuroSim V1.3 runs with, see LSTP)")
    wire_pitch: float = Field(gt=0, description="local metal pitch [m]")
    wire_capacitance: float = Field(gt=0, description="wire capacitance per length [F/m]")
    sram_6t_area: float = Field(gt=0, description="6T SRAM bit-cell area [m²]")

    @model_validator(mode="after")
    def _check(self) -> Technology:
        if self.device == "finfet" and min(self.fins_nmos, self.fins_pmos, self.fin_height, self.fin_width) <= 0:
            raise ValueError("a FinFET node needs fins_nmos, fins_pmos, fin_height and fin_width > 0")
        if self.i_off >= self.i_on_n:
            raise ValueError(f"i_off = {self.i_off} must be far below i_on_n = {self.i_on_n}")
        return self

    # ----- transistors ---------------------------------------------------------------------------
    @property
    def fin_electrical_width(self) -> float:
        """Electrical width of one fin, 2·H_fin + W_fin [m] (0 for bulk)."""
        return 2 * self.fin_height + self.fin_width

    @property
    def c_gate(self) -> float:
        """Gate capacitance per electrical width [F/m]: ε_ox·L_g/(EOT + 0.4 nm) + overlap/fringe."""
        return EPS_OX * self.gate_length / (self.eot + INVERSION_THICKNESS) + CAP_OVERLAP

    @property
    def c_drain(self) -> float:
        """Drain diffusion capacitance per electrical width [F/m] (= c_gate, the p_inv = 1 convention)."""
        return self.c_gate

    def r_on_n(self, width: float) -> float:
        """Effective switching resistance of an NMOS of electrical ``width`` [Ω]: k·V_DD/(I_on·W), k =
        :attr:`r_eff_factor`."""
        return self.r_eff_factor * self.vdd / (self.i_on_n * width)

    def r_on_p(self, width: float) -> float:
        """Effective switching resistance of a PMOS of electrical ``width`` [Ω]: k·V_DD/(I_on,p·W)."""
        return self.r_eff_factor * self.vdd / (self.i_on_p * width)

    def width_for_resistance(self, r: float) -> float:
        """Electrical width [m] of an NMOS whose effective switching resistance is ``r`` [Ω]."""
        if not (isinstance(r, int | float) and math.isfinite(r) and r > 0):
            raise ConfigError(f"resistance = {r!r}: must be a positive number of ohms")
        return self.r_eff_factor * self.vdd / (self.i_on_n * r)

    @property
    def pelgrom_avt(self) -> float:
        """Threshold-mismatch coefficient A_VT [V·m]: σ(ΔV_T) = A_VT/√(W·L)."""
        return PELGROM_PER_NM * (self.eot + INVERSION_THICKNESS)

    @property
    def fo4_delay(self) -> float:
        """Fan-out-of-4 inverter delay [s]: 0.69·R_inv·(C_self + 4·C_in), R_inv the mean of pull-up and down."""
        w = self.nmos_width + self.pmos_width
        r = 0.5 * (self.r_on_n(self.nmos_width) + self.r_on_p(self.pmos_width))
        return 0.69 * r * (self.c_drain * w + 4 * self.c_gate * w)

    # ----- wires ---------------------------------------------------------------------------------
    @property
    def wire_resistance(self) -> float:
        """Resistance per length of a minimum local wire [Ω/m], w = pitch/2, aspect ratio 2, size effect."""
        w = self.wire_pitch / 2
        t = 2 * w
        rho = RHO_CU * (1 + 0.375 * LAMBDA_CU * (1 / w + 1 / t))
        return rho / (w * t)

    # ----- memory cells --------------------------------------------------------------------------
    @property
    def sram_8t_area(self) -> float:
        """8T SRAM (decoupled read port) bit-cell area [m²] = 1.3 × 6T."""
        return 1.3 * self.sram_6t_area

    @property
    def bitcell_width(self) -> float:
        """Electrical width of an SRAM bit-cell transistor [m]: one fin (FinFET) or 2·F (bulk) — narrower than
        the Table-1 logic device, which is the widest one a standard-cell row holds."""
        if self.device == "finfet":
            return self.fin_electrical_width
        return 2 * self.feature_size

    @property
    def inverter_area(self) -> float:
        """Layout area of a minimum inverter [m²] = standard-cell width × height."""
        return self.cell_width * self.cell_height


# node → (device, Vdd, Lg, Wn or fins_n, Wp or fins_p, fin pitch, fin height, fin width,
#          cell width, cell height, EOT, I_on,n, PMOS/NMOS drive ratio, wire pitch, 6T area)   [nm, V, µA/µm, µm²]
_TABLE: dict[int, tuple] = {
    130: ("bulk", 1.3, 75, 907, 1809, 0, 0, 0, 988, 3640, 2.25, 550, 0.5, 340, 2.45),
    90: ("bulk", 1.2, 55, 689, 1191, 0, 0, 0, 684, 2520, 2.05, 600, 0.5, 240, 1.0),
    65: ("bulk", 1.1, 35, 507, 850, 0, 0, 0, 494, 1820, 1.85, 650, 0.5, 210, 0.57),
    45: ("bulk", 1.0, 30, 352, 587, 0, 0, 0, 342, 1260, 1.25, 700, 0.6, 150, 0.346),
    32: ("bulk", 0.9, 28, 267, 401, 0, 0, 0, 243, 896, 1.15, 750, 0.6, 112, 0.171),
    22: ("bulk", 0.8, 26, 198, 262, 0, 0, 0, 167, 616, 1.05, 800, 0.6, 90, 0.092),
    14: ("finfet", 0.8, 22, 3, 3, 48, 37, 8, 143, 462, 0.90, 900, 0.9, 70, 0.0588),
    10: ("finfet", 0.75, 20, 3, 3, 36, 42, 6, 104, 336, 0.85, 950, 0.9, 44, 0.0312),
    7: ("finfet", 0.7, 18, 2, 2, 30, 52, 6, 78, 250, 0.80, 1000, 0.9, 40, 0.027),
}
I_OFF = 0.1e-9 / 1e-6  # 0.1 nA/µm [A/m]
#: k of a pass transistor's on-resistance k·V_DD/(I_on·W) — an eNVM access transistor or a column-mux switch,
#: which conduct a read's signal in their linear region and are sized for a target resistance with it: ¾ (the
#: default card's rule) on every card, whatever its switching factor ``r_eff_factor`` (DNN+NeuroSim V1.3 too
#: sizes these for their target resistance whatever its card: LINEAR_REGION_RATIO in constant.h).
PASS_R_FACTOR = 0.75
WIRE_CAPACITANCE = 0.2e-15 / 1e-6  # 0.2 fF/µm [F/m]

#: The LSTP card of a full node: (I_on,n [µA/µm], I_on,p [µA/µm], k of R_eq, V_DD [V]) — PTM LP cards at 300 K with
#: CACTI's effective-resistance multiplier, as DNN+NeuroSim V1.3 (Technology.cpp) runs them; see SOURCES["lstp"].
#: Their off-current, 100 pA/µm, is the default card's; their supply is the default card's except at 22 nm (0.85 V
#: against 0.8 V), so the LSTP card changes the drive, and the supply at 22 nm and its half nodes.
LSTP: dict[int, tuple[float, float, float, float]] = {
    22: (791.9, 600.2, 1.77, 0.85),
    14: (893.0, 820.0, 1.76, 0.8),
    10: (862.0, 775.0, 1.73, 0.75),
    7: (822.0, 737.0, 1.73, 0.7),
}

#: Nodes of Table 1 (full nodes) and the half nodes derived from them by an optical shrink.
FULL_NODES_NM: tuple[int, ...] = tuple(sorted(_TABLE, reverse=True))
HALF_NODES_NM: dict[int, int] = {40: 45, 28: 32, 20: 22, 16: 22, 12: 14}


def _full_node(node: int) -> Technology:
    (device, vdd, lg, wn, wp, fp, fh, fw, cw, ch, eot, ion, p_ratio, pitch, a6t) = _TABLE[node]
    nm = 1e-9
    if device == "finfet":
        w_fin = (2 * fh + fw) * nm
        fins_n, fins_p, wn_m, wp_m = wn, wp, wn * w_fin, wp * w_fin
    else:
        fins_n, fins_p, wn_m, wp_m = 0, 0, wn * nm, wp * nm
    i_on_n = ion * 1e-6 / 1e-6  # µA/µm → A/m
    return Technology(
        name=f"{node}nm-{device}", feature_size=node * nm, device=device, vdd=vdd, gate_length=lg * nm,
        nmos_width=wn_m, pmos_width=wp_m, fins_nmos=fins_n, fins_pmos=fins_p, fin_pitch=fp * nm,
        fin_height=fh * nm, fin_width=fw * nm, cell_width=cw * nm, cell_height=ch * nm, eot=eot * nm,
        i_on_n=i_on_n, i_on_p=p_ratio * i_on_n, i_off=I_OFF, wire_pitch=pitch * nm,
        wire_capacitance=WIRE_CAPACITANCE, sram_6t_area=a6t * 1e-12,
    )


def technology(node_nm: float, vdd: float | None = None, roadmap: str = "lop") -> Technology:
    """The :class:`Technology` of a node in nm: 130, 90, 65, 45, 32, 22 (bulk), 14, 10, 7 (FinFET), or a half node
    40, 28, 20, 16, 12 (optical shrink of 45, 32, 22, 22, 14). ``vdd`` overrides the supply [V]. ``roadmap``
    'lop' (default) or 'lstp': the PTM LP card DNN+NeuroSim V1.3 runs with (:data:`LSTP`: on-currents, the
    effective-resistance factor and the supply, 0.85 V at 22 nm; geometry, capacitances and off-current stay the
    node's), tabulated at 22, 14, 10 and 7 nm and their half nodes. ``vdd`` overrides the card's supply too."""
    if roadmap not in ("lop", "lstp"):
        raise ConfigError(f"roadmap = {roadmap!r}: must be 'lop' or 'lstp'")
    if isinstance(node_nm, bool) or not isinstance(node_nm, int | float) or not math.isfinite(node_nm):
        raise ConfigError(f"technology node must be a number of nanometres, got {node_nm!r}")
    node = round(node_nm)
    if abs(node - node_nm) > 1e-9:
        raise UnknownNameError(f"technology node {node_nm} nm is not tabulated; known: {_known()}")
    if node in _TABLE:
        tech = _full_node(node)
    elif node in HALF_NODES_NM:
        parent = _full_node(HALF_NODES_NM[node])
        s = node / round(parent.feature_size * 1e9)
        tech = parent.replace(
            name=f"{node}nm-{parent.device}", feature_size=node * 1e-9, gate_length=parent.gate_length * s,
            nmos_width=parent.nmos_width * s if parent.device == "bulk" else parent.nmos_width,
            pmos_width=parent.pmos_width * s if parent.device == "bulk" else parent.pmos_width,
            cell_width=parent.cell_width * s, cell_height=parent.cell_height * s,
            wire_pitch=parent.wire_pitch * s, sram_6t_area=parent.sram_6t_area * s * s,
        )
    else:
        raise UnknownNameError(f"technology node {node_nm} nm is not tabulated; known: {_known()}")
    if roadmap == "lstp":
        full = node if node in _TABLE else HALF_NODES_NM[node]
        if full not in LSTP:
            raise UnknownNameError(f"roadmap = 'lstp' is tabulated at {', '.join(map(str, LSTP))} nm and their "
                                   f"half nodes, not at {node_nm} nm")
        ion, iop, k, v = LSTP[full]
        tech = tech.replace(name=tech.name + "-lstp", i_on_n=ion, i_on_p=iop, r_eff_factor=k, vdd=v, roadmap="lstp")
    if vdd is not None:
        if not (isinstance(vdd, int | float) and math.isfinite(vdd) and vdd > 0):
            raise ConfigError(f"vdd = {vdd!r}: must be a positive number of volts")
        tech = tech.replace(vdd=float(vdd))
    return tech


def _known() -> str:
    return ", ".join(str(n) for n in FULL_NODES_NM) + " (half nodes " + ", ".join(map(str, HALF_NODES_NM)) + ")"
