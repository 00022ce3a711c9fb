{#- Open discrepancies between what the courts ordered and what the penitentiary
    system records, on the latest registry cut-off (docs/outputs.md; the
    definition is the macro interop_alerts, which marts.alertas_historial evaluates
    on every cut-off). -#}
{{ interop_alerts("select fecha_corte as c from " ~ ref('corte_actual')) }}
