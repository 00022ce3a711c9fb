{#- Offences by Código Penal article, with the generic group the registry gives. -#}
with registry as (
    select articulo_cp as articulo, delito_especifico as descripcion, delito_generico as generico
    from {{ ref('stg_inpe__internos') }}
),

court as (
    select articulo, delito_descripcion as descripcion, cast(null as varchar) as generico
    from {{ ref('int_pj__resoluciones_vigentes') }}
),

unioned as (
    select * from registry
    union all
    select * from court
)

select
    articulo,
    {{ normalize_text('descripcion') }} as descripcion,
    -- collate "C": the same pick on both engines, whatever PostgreSQL's collation.
    max(generico collate "C") as delito_generico
from unioned
where articulo is not null and descripcion is not null
group by 1, 2
