{#- Per source: its latest landed delivery, how many days it lags the latest registry
    cut-off, and how many it may. The blocking gate `sources_fresh`
    (contracts/expectations/freshness.json) expects every lag within its limit.
    The court delivers weekly: one missed week is tolerated. Medio libre delivers monthly
    on the registry's calendar: one late month is tolerated. The registry sets the
    cut-off. -#}
with limits as (
    select * from (values
        ('pj_resoluciones', 14),
        ('inpe_registro', 0),
        ('inpe_medio_libre', 31)
    ) as l (source, max_dias)
),

latest as (
    select source, max(cast(fecha_corte as date)) as ultima_entrega
    from {{ source('raw_hub', 'deliveries') }}
    where status = 'landed'
    group by 1
)

select
    l.source,
    l.max_dias,
    t.ultima_entrega,
    c.fecha_corte as ultimo_corte_registro,
    c.fecha_corte - t.ultima_entrega as dias_de_atraso
from limits as l
left join latest as t on t.source = l.source
cross join {{ ref('corte_actual') }} as c
