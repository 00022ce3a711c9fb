{#- Cárceles Productivas: LABORAL enrolments active at some time in the calendar year
    up to each registry cut-off, by workshop speciality, establishment and agreement;
    the same window as OP04_PPL_ACTIVIDAD_LABORAL in indicadores_politica. Persons
    are counted by INPE id, as that indicator does: someone released before the first
    extract has no identity record but did work. -#}
with periods as (
    select distinct fecha_corte from {{ ref('situacion_juridica_historial') }}
),

enrolments as (
    select p.fecha_corte, a.*
    from periods as p
    inner join {{ ref('actividad_penitenciaria') }} as a
        on a.tipo_actividad = 'LABORAL'
        and a.fecha_inicio <= p.fecha_corte
        and (a.fecha_fin is null or a.fecha_fin >= {{ year_start('p.fecha_corte') }})
)

select
    n.fecha_corte,
    cast(extract(year from n.fecha_corte) as integer) as anio,
    n.programa,
    n.cod_ep,
    e.nombre_ep as establecimiento,
    e.oficina_regional,
    coalesce(n.convenio, 'SIN CONVENIO') as convenio,
    cast(count(distinct n.id_interno) as integer) as personas,
    cast(count(*) as integer) as inscripciones,
    -- A certificate comes with the end of a workshop: not counted before that end.
    cast(sum(case when n.certificado = 'S' and n.fecha_fin <= n.fecha_corte then 1 else 0 end)
         as integer) as certificados
from enrolments as n
left join {{ ref('establecimiento') }} as e on e.cod_ep = n.cod_ep
group by n.fecha_corte, n.programa, n.cod_ep, e.nombre_ep, e.oficina_regional,
         coalesce(n.convenio, 'SIN CONVENIO')
