{#- Court resolutions, current version, typed, with the person they concern and
    their effect. `orden` classifies them as outputs.md does: detention orders
    (PRISION_PREVENTIVA, PROLONGACION, a SENTENCIA_CONDENATORIA with
    PRIVATIVA_EFECTIVA, REVOCATORIA) and release orders (the release-type
    resolutions of feeds.md). -#}
with resolutions as (
    select * from {{ ref('int_pj__resoluciones_vigentes') }}
)

select
    r.resolucion_id,
    r.version,
    r.expediente,
    c.persona_key,
    r.organo_codigo,
    r.distrito_judicial,
    r.fecha_emision,
    r.tipo,
    case
        when r.tipo in ('PRISION_PREVENTIVA', 'PROLONGACION_PRISION_PREVENTIVA') then 'DETENCION'
        when r.tipo = 'SENTENCIA_CONDENATORIA' then 'CONDENA'
        when r.tipo = 'BENEFICIO_PENITENCIARIO' then 'BENEFICIO'
        when r.tipo = 'REVOCATORIA' then 'REVOCATORIA'
        else 'LIBERACION'
    end as efecto,
    case
        when r.tipo in ('PRISION_PREVENTIVA', 'PROLONGACION_PRISION_PREVENTIVA', 'REVOCATORIA')
            then 'DETENCION'
        when r.tipo = 'SENTENCIA_CONDENATORIA' and r.pena_clase = 'PRIVATIVA_EFECTIVA'
            then 'DETENCION'
        else 'LIBERTAD'
    end as orden,
    r.articulo,
    r.delito_descripcion,
    r.pp_plazo_meses,
    r.pp_fecha_inicio,
    r.pena_clase,
    r.pena_anios,
    r.pena_meses,
    r.pena_dias,
    r.pena_jornadas,
    r.pena_fecha_inicio,
    r.pena_fecha_vencimiento,
    -- Sentence end: the court's date, else start + years, months and days.
    coalesce(
        r.pena_fecha_vencimiento,
        case when coalesce(r.pena_anios, r.pena_meses, r.pena_dias) is not null then
        cast({{ add_months('r.pena_fecha_inicio',
                           'coalesce(r.pena_anios, 0) * 12 + coalesce(r.pena_meses, 0)') }}
             + coalesce(r.pena_dias, 0) as date)
        end
    ) as pena_fecha_fin,
    r.beneficio_clase,
    r.fecha_corte as fecha_corte_entrega
from resolutions as r
inner join {{ ref('int_person_crosswalk') }} as c
    on c.fuente = 'pj_resoluciones' and c.fuente_id = r.resolucion_id
