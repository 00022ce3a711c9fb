{#- The Política Nacional Penitenciaria's figures, for every registry cut-off
    (docs/outputs.md, section 1). One row per period and indicator. -#}
with periods as (
    select distinct fecha_corte as periodo from {{ ref('situacion_juridica_historial') }}
),

population as (
    select
        p.periodo,
        count(*) as total,
        sum(case when h.situacion_juridica = 'SENTENCIADO' then 1 else 0 end) as sentenciados,
        sum(case when h.situacion_juridica = 'PROCESADO' then 1 else 0 end) as procesados
    from periods as p
    inner join {{ ref('situacion_juridica_historial') }} as h on h.fecha_corte = p.periodo
    group by p.periodo
),

-- What was known of each medio libre case on the period: its highest version delivered by then.
ml_known as (
    {{ medio_libre_as_known_on('periods', 'periodo') }}
),

-- Every period, with no case known yet too (0, and a NULL percentage): one row per
-- period and indicator, whichever source delivered first.
medio_libre as (
    select
        p.periodo,
        count(distinct m.persona_key) as personas,
        sum(case when m.es_limitativa then 1 else 0 end) as limitativas,
        sum(case when m.es_limitativa and m.estado = 'ACTIVO' then 1 else 0 end) as limitativas_activas,
        sum(case when m.ve_activo then 1 else 0 end) as vep_activos
    from periods as p
    left join ml_known as m on m.periodo = p.periodo
    group by p.periodo
),

-- Enrolments active at some time in the calendar year up to the period, by INPE id:
-- someone released before the first extract has no identity record, but was enrolled.
activities as (
    select p.periodo, a.tipo_actividad, a.programa, a.id_interno
    from periods as p
    inner join {{ ref('actividad_penitenciaria') }} as a
        on a.fecha_inicio <= p.periodo
        and (a.fecha_fin is null or a.fecha_fin >= {{ year_start('p.periodo') }})
),

transfers as (
    select p.periodo, m.motivo, count(*) as n
    from periods as p
    inner join {{ ref('movimiento_penitenciario') }} as m
        on m.tipo_movimiento = 'TRASLADO'
        and m.fecha_movimiento between {{ year_start('p.periodo') }} and p.periodo
    group by p.periodo, m.motivo
),

figures as (
    select periodo, 'POBLACION_INTRAMUROS' as codigo_indicador,
           cast(null as bigint) as numerador, cast(null as bigint) as denominador,
           cast(total as decimal(18, 2)) as valor
    from population
    union all
    select periodo, 'POBLACION_SENTENCIADA', null, null, sentenciados from population
    union all
    select periodo, 'POBLACION_PROCESADA', null, null, procesados from population
    union all
    select periodo, 'OP01_PCT_SIN_SENTENCIA', procesados, total, {{ pct_half_up('procesados', 'total') }}
    from population
    union all
    select periodo, 'POBLACION_MEDIO_LIBRE', null, null, personas from medio_libre
    union all
    select periodo, 'OP04_PCT_CUMPLIMIENTO_MEDIO_LIBRE', limitativas_activas, limitativas,
           {{ pct_half_up('limitativas_activas', 'limitativas') }}
    from medio_libre
    union all
    select periodo, 'VEP_ACTIVOS', null, null, vep_activos from medio_libre
    union all
    select p.periodo, 'OP04_PPL_ACTIVIDAD_LABORAL', null, null,
           (select count(distinct a.id_interno) from activities as a
            where a.periodo = p.periodo and a.tipo_actividad = 'LABORAL')
    from periods as p
    {% for programa in ['ALFABETIZACION', 'PEBAJA', 'CETPRO', 'SUPERIOR'] %}
    union all
    select p.periodo, 'OP04_PPL_EDUCACION_{{ programa }}', null, null,
           (select count(distinct a.id_interno) from activities as a
            where a.periodo = p.periodo and a.tipo_actividad = 'EDUCATIVA' and a.programa = '{{ programa }}')
    from periods as p
    {% endfor %}
    union all
    select pop.periodo, 'OP04_PCT_TRATAMIENTO_ESPECIALIZADO', t.personas, pop.total,
           {{ pct_half_up('t.personas', 'pop.total') }}
    from population as pop
    inner join (
        select p.periodo, count(distinct a.id_interno) as personas
        from periods as p
        left join activities as a
            on a.periodo = p.periodo and a.tipo_actividad = 'TRATAMIENTO'
            and a.programa in ('CREO', 'TAS', 'DEVIDA')
        group by p.periodo
    ) as t on t.periodo = pop.periodo
    {% for motivo in ['SEGURIDAD_PENITENCIARIA', 'REORDENAMIENTO', 'TRATAMIENTO_PENITENCIARIO', 'EXCEPCIONAL'] %}
    union all
    select p.periodo, 'TRASLADOS_{{ motivo }}', null, null, coalesce(t.n, 0)
    from periods as p
    left join transfers as t on t.periodo = p.periodo and t.motivo = '{{ motivo }}'
    {% endfor %}
)

select
    periodo,
    codigo_indicador,
    cast(numerador as bigint) as numerador,
    cast(denominador as bigint) as denominador,
    cast(valor as decimal(18, 2)) as valor
from figures
