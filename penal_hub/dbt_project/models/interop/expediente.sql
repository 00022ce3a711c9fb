{#- Case files, by normalised number, as any source mentions them. -#}
with mentions as (
    select expediente, fecha_emision as fecha, 'pj_resoluciones' as fuente
    from {{ ref('int_pj__resoluciones_vigentes') }}
    union all
    select expediente, fecha_ingreso, 'inpe_registro' from {{ ref('stg_inpe__internos') }}
    union all
    select expediente, fecha_inicio, 'inpe_medio_libre' from {{ ref('int_ml__casos_vigentes') }}
)

select
    expediente,
    cast(split_part(expediente, '-', 2) as integer) as anio,
    split_part(expediente, '-', 4) as sede_codigo,
    left(split_part(expediente, '-', 4), 2) as distrito_judicial_codigo,
    split_part(expediente, '-', 5) as organo_tipo,
    min(fecha) as primera_fecha,
    max(fecha) as ultima_fecha,
    max(case when fuente = 'pj_resoluciones' then 1 else 0 end) = 1 as en_poder_judicial,
    max(case when fuente = 'inpe_registro' then 1 else 0 end) = 1 as en_registro,
    max(case when fuente = 'inpe_medio_libre' then 1 else 0 end) = 1 as en_medio_libre
from mentions
where expediente is not null
group by expediente
