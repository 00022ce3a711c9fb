{#- Every interoperability alert of every registry cut-off, as episodes: the same
    definition as marts.alertas_interoperabilidad (macro interop_alerts) evaluated on
    each cut-off. An alert's identity is (code, person, case); its episode runs over
    consecutive registry cut-offs on which it is open. A cut-off without it closes the
    episode; if it comes back later, that is a new episode. -#}
with cutoffs as (
    select fecha_corte, row_number() over (order by fecha_corte) as cutoff_seq
    from (select distinct fecha_corte from {{ ref('situacion_juridica_historial') }}) as distinct_cutoffs
),

alerts as (
    {{ interop_alerts("select distinct fecha_corte as c from " ~ ref('situacion_juridica_historial')) }}
),

-- Gaps and islands: consecutive cut-offs of one identity share cutoff_seq - its rank.
sequenced as (
    select
        a.*,
        k.cutoff_seq,
        k.cutoff_seq - row_number() over (
            partition by a.codigo_alerta, a.persona_key, a.expediente order by a.fecha_corte
        ) as island
    from alerts as a
    inner join cutoffs as k on k.fecha_corte = a.fecha_corte
),

episodes as (
    select
        codigo_alerta, persona_key, expediente, island,
        min(fecha_corte) as fecha_primer_corte,
        max(fecha_corte) as fecha_ultimo_corte_abierta,
        max(cutoff_seq) as last_seq,
        count(*) as cortes_abierta
    from sequenced
    group by codigo_alerta, persona_key, expediente, island
)

select
    e.codigo_alerta,
    e.persona_key,
    e.expediente,
    last_seen.cod_ep,
    last_seen.fecha_referencia,
    e.fecha_primer_corte,
    e.fecha_ultimo_corte_abierta,
    closing.fecha_corte as fecha_corte_cierre,
    closing.fecha_corte is null as abierta,
    cast(e.cortes_abierta as integer) as cortes_abierta,
    last_seen.dias_abierta,
    last_seen.detalle
from episodes as e
inner join sequenced as last_seen
    on last_seen.codigo_alerta = e.codigo_alerta
    and last_seen.persona_key = e.persona_key
    and last_seen.island = e.island
    and (last_seen.expediente = e.expediente or (last_seen.expediente is null and e.expediente is null))
    and last_seen.fecha_corte = e.fecha_ultimo_corte_abierta
left join cutoffs as closing on closing.cutoff_seq = e.last_seq + 1
